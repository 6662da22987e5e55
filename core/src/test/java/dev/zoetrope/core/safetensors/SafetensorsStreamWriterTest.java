package dev.zoetrope.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsStreamWriter.Planned;

class SafetensorsStreamWriterTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    static Tensor floats(int n, float start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = start + i;
        return Tensors.fromFloats(v, n);
    }

    @Test
    void tensorsAppendedInPlanOrderReadBackWithTheirMetadata() throws IOException {
        Path file = tmp.resolve("out.safetensors");
        List<Planned> plan = List.of(new Planned("z.first", DType.F32, new long[]{2, 3}), new Planned("a.second", DType.BF16, new long[]{4}),
                new Planned("m.empty", DType.F32, new long[]{0}), new Planned("ids", DType.I64, new long[]{2}));
        try (PointerScope scope = new PointerScope();
             SafetensorsStreamWriter w = SafetensorsStreamWriter.open(file, plan, Map.of("format", "pt"))) {
            assertEquals(4 * 6 + 2 * 4 + 8 * 2, w.dataBytes());
            // a transposed (non-contiguous) view is written in its logical order
            w.write("z.first", floats(6, 0).view(3, 2).t());
            w.write("a.second", floats(4, 10).to(DType.BF16.scalarType()));
            assertEquals("m.empty", w.next().name());
            w.write("m.empty", floats(1, 0).narrow(0, 0, 0));
            w.write("ids", MemorySegment.ofArray(java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(8).array()));
            assertNull(w.next());
            assertFalse(Files.exists(file), "nothing at the target before the commit");
            w.commit();
        }
        try (PointerScope scope = new PointerScope(); SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertArrayEquals(new float[]{0, 2, 4, 1, 3, 5}, Tensors.toFloats(f.load("z.first")));
            assertEquals(DType.BF16, f.info("a.second").orElseThrow().dtype());
            assertArrayEquals(new float[]{10, 11, 12, 13}, Tensors.toFloats(f.load("a.second", DType.F32)));
            assertEquals(0, f.info("m.empty").orElseThrow().numel());
            assertArrayEquals(new long[]{7, 8}, Tensors.toLongs(f.load("ids")));
            // laid out in plan order, not name order
            assertTrue(f.info("z.first").orElseThrow().begin() < f.info("a.second").orElseThrow().begin());
        }
        assertEquals(List.of(file), files());
    }

    @Test
    void aTensorOutOfOrderOrOfAnotherShapeOrDtypeIsRefusedAndAnUncommittedFileVanishes() throws IOException {
        Path file = tmp.resolve("out.safetensors");
        List<Planned> plan = List.of(new Planned("a", DType.F32, new long[]{3}), new Planned("b", DType.F32, new long[]{2}));
        try (PointerScope scope = new PointerScope(); SafetensorsStreamWriter w = SafetensorsStreamWriter.open(file, plan, Map.of())) {
            assertThrows(IllegalArgumentException.class, () -> w.write("b", floats(2, 0)), "out of order");
            assertThrows(IllegalArgumentException.class, () -> w.write("a", floats(2, 0)), "wrong shape");
            assertThrows(IllegalArgumentException.class, () -> w.write("a", floats(3, 0).to(DType.BF16.scalarType())), "wrong dtype");
            assertThrows(IllegalArgumentException.class, () -> w.write("a", MemorySegment.ofArray(new byte[11])), "wrong byte count");
            w.write("a", floats(3, 0));
            assertThrows(IllegalStateException.class, w::commit, "b is missing");
        }
        assertEquals(List.of(), files(), "neither the target nor a temporary file is left");
        assertThrows(IllegalArgumentException.class, () -> SafetensorsStreamWriter.open(file,
                List.of(new Planned("a", DType.F32, new long[]{1}), new Planned("a", DType.F32, new long[]{1})), Map.of()));
        assertEquals(List.of(), files());
    }

    @Test
    void shardsSplitInOrderUnderTheLimitWithAnIndexThatWeightsOpenReads() throws IOException {
        List<Planned> plan = List.of(new Planned("w0", DType.F32, new long[]{10}), new Planned("w1", DType.F32, new long[]{10}),
                new Planned("big", DType.F32, new long[]{30}), new Planned("w2", DType.F32, new long[]{5}));
        List<List<Planned>> runs = ShardedSafetensorsWriter.split(plan, 80);
        assertEquals(List.of(List.of(plan.get(0), plan.get(1)), List.of(plan.get(2)), List.of(plan.get(3))), runs,
                "40+40 fit, a 120-byte tensor gets a shard of its own");
        try (PointerScope scope = new PointerScope();
             ShardedSafetensorsWriter w = ShardedSafetensorsWriter.open(tmp, "model", plan, 80, Map.of("format", "pt"))) {
            float start = 0;
            for (Planned p : plan) {
                w.write(p.name(), floats((int) p.shape()[0], start));
                start += 100;
            }
            w.commit();
            assertEquals(tmp.resolve("model.safetensors.index.json"), w.index());
        }
        assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
                "model.safetensors.index.json"), files().stream().map(p -> p.getFileName().toString()).toList());
        JsonNode index = new ObjectMapper().readTree(tmp.resolve("model.safetensors.index.json").toFile());
        assertEquals(4 * 55, index.get("metadata").get("total_size").asLong());
        assertEquals("model-00002-of-00003.safetensors", index.get("weight_map").get("big").asText());
        try (PointerScope scope = new PointerScope(); Weights w = Weights.open(tmp)) {
            assertEquals(4, w.names().size());
            assertEquals(300f, Tensors.toFloats(w.load("w2"))[0]);
            assertEquals(229f, Tensors.toFloats(w.load("big"))[29]);
        }
    }

    @Test
    void whatFitsInOneShardIsOneFileWithoutAnIndex() throws IOException {
        List<Planned> plan = List.of(new Planned("a", DType.F32, new long[]{2}));
        try (PointerScope scope = new PointerScope();
             ShardedSafetensorsWriter w = ShardedSafetensorsWriter.open(tmp, "diffusion_pytorch_model", plan, Long.MAX_VALUE, Map.of())) {
            w.write("a", floats(2, 1));
            w.commit();
            assertNull(w.index());
        }
        assertEquals(List.of(tmp.resolve("diffusion_pytorch_model.safetensors")), files());
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.sorted().toList();
        }
    }

    /** The writers read a tensor's bytes through its data pointer, which only a host tensor has: others are refused. */
    @Test
    void aTensorOffTheHostIsRefusedNamingItsDevice() throws IOException {
        try (PointerScope s = new PointerScope()) {
            Tensor meta = org.bytedeco.pytorch.global.torch.empty(new long[]{3},
                    new org.bytedeco.pytorch.TensorOptions(new org.bytedeco.pytorch.Device("meta")), new org.bytedeco.pytorch.MemoryFormatOptional());
            try (SafetensorsStreamWriter w = SafetensorsStreamWriter.open(tmp.resolve("a.safetensors"),
                    List.of(new Planned("x", DType.F32, new long[]{3})), Map.of())) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.write("x", meta));
                assertEquals("tensor 'x' is on meta; bring it to the host to write it", e.getMessage());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SafetensorsWriter.write(tmp.resolve("b.safetensors"), Map.of("y", meta)));
            assertEquals("tensor 'y' is on meta; bring it to the host to write it", e.getMessage());
            assertFalse(Files.exists(tmp.resolve("a.safetensors")) || Files.exists(tmp.resolve("b.safetensors")));
        }
    }
}
