package dev.zoetrope.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

/** A two-shard Hugging Face checkpoint read through its index and through its directory. */
class ShardedWeightsTest {
    @TempDir
    Path dir;

    final Map<String, byte[]> expected = new TreeMap<>();

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    @BeforeEach
    void twoShards() throws IOException {
        byte[] emb = RoundTripTest.randomBytes(DType.F32, 40, 1), norm = RoundTripTest.randomBytes(DType.BF16, 8, 2);
        byte[] head = RoundTripTest.randomBytes(DType.F16, 16, 3), ids = RoundTripTest.randomBytes(DType.I64, 5, 4);
        expected.putAll(Map.of("embed.weight", emb, "norm.weight", norm, "lm_head.weight", head, "position_ids", ids));
        SafetensorsWriter.writeEntries(dir.resolve("model-00001-of-00002.safetensors"), List.of(
                SafetensorsWriter.Entry.of("embed.weight", DType.F32, new long[]{10, 4}, emb),
                SafetensorsWriter.Entry.of("norm.weight", DType.BF16, new long[]{8}, norm)), Map.of("format", "pt"));
        SafetensorsWriter.writeEntries(dir.resolve("model-00002-of-00002.safetensors"), List.of(
                SafetensorsWriter.Entry.of("lm_head.weight", DType.F16, new long[]{4, 4}, head),
                SafetensorsWriter.Entry.of("position_ids", DType.I64, new long[]{5}, ids)), Map.of("format", "pt"));
        long total = expected.values().stream().mapToLong(b -> b.length).sum();
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": %d},
                 "weight_map": {"embed.weight": "model-00001-of-00002.safetensors",
                                "norm.weight": "model-00001-of-00002.safetensors",
                                "lm_head.weight": "model-00002-of-00002.safetensors",
                                "position_ids": "model-00002-of-00002.safetensors"}}
                """.formatted(total));
    }

    private void checkAll(Weights w) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(w.names()), "sorted names across shards");
        assertEquals(40 + 8 + 16 + 5, w.parameterCount());
        assertEquals(expected.values().stream().mapToLong(b -> b.length).sum(), w.byteCount());
        assertEquals(DType.BF16, w.info("norm.weight").orElseThrow().dtype());
        assertArrayEquals(new long[]{4, 4}, w.info("lm_head.weight").orElseThrow().shape());
        assertTrue(w.info("missing").isEmpty());
        try (PointerScope scope = new PointerScope()) {
            for (var e : expected.entrySet()) assertArrayEquals(e.getValue(), Tensors.toBytes(w.load(e.getKey())), e.getKey());
            assertEquals(DType.BF16, Tensors.dtype(w.load("norm.weight")));
        }
        SafetensorsException missing = assertThrows(SafetensorsException.class, () -> w.load("missing"));
        assertTrue(missing.getMessage().contains("'missing'"), missing.getMessage());
    }

    @Test
    void readsThroughTheDirectory() {
        try (Weights w = Weights.open(dir)) {
            assertInstanceOf(ShardedWeights.class, w);
            assertEquals(dir.resolve("model.safetensors.index.json"), w.source());
            checkAll(w);
        }
    }

    @Test
    void readsThroughTheIndex() {
        try (Weights w = Weights.open(dir.resolve("model.safetensors.index.json"))) {
            checkAll(w);
            assertEquals(List.of(dir.resolve("model-00001-of-00002.safetensors").toAbsolutePath(),
                    dir.resolve("model-00002-of-00002.safetensors").toAbsolutePath()), ((ShardedWeights) w).shards());
        }
    }

    @Test
    void readsADirectoryOfFilesWithoutAnIndex() throws IOException {
        Files.delete(dir.resolve("model.safetensors.index.json"));
        try (Weights w = Weights.open(dir)) {
            checkAll(w);
        }
    }

    @Test
    void aTensorInTwoFilesIsRefused() throws IOException {
        Files.delete(dir.resolve("model.safetensors.index.json"));
        SafetensorsWriter.writeEntries(dir.resolve("extra.safetensors"),
                List.of(SafetensorsWriter.Entry.of("norm.weight", DType.U8, new long[]{1}, new byte[1])), Map.of());
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Weights.open(dir));
        assertTrue(e.getMessage().contains("'norm.weight'") && e.getMessage().contains("extra.safetensors"), e.getMessage());
    }

    @Test
    void twoIndexesAreAmbiguous() throws IOException {
        Files.copy(dir.resolve("model.safetensors.index.json"), dir.resolve("other.safetensors.index.json"));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Weights.open(dir));
        assertTrue(e.getMessage().contains("2 shard indexes"), e.getMessage());
    }

    @Test
    void aCorruptShardIsNamed() throws IOException {
        Path shard = dir.resolve("model-00002-of-00002.safetensors");
        byte[] b = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(b, b.length - 3));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Weights.open(dir));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors") && e.getMessage().contains("truncated"),
                e.getMessage());
    }
}
