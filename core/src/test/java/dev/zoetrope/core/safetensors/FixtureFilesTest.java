package dev.zoetrope.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

/** Every golden-tensor file opens, and what the engine loads agrees with an independent byte-level reading. */
class FixtureFilesTest {
    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    static List<Path> fixtureFiles() throws IOException {
        try (Stream<Path> s = Files.walk(fixtures(), 2)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    @Test
    void findsEveryFixtureFile() throws IOException {
        List<String> names = fixtureFiles().stream().map(p -> fixtures().relativize(p).toString()).toList();
        for (String expected : List.of("linum-tiny/dit.safetensors", "linum-tiny/dit_io.safetensors",
                "linum-tiny/vae.safetensors", "linum-tiny/vae_io.safetensors", "linum-tiny/pipeline_io.safetensors",
                "t5-tiny/t5_encoder.safetensors", "t5-tiny/t5_io.safetensors", "t5-tiny/umt5_encoder.safetensors",
                "t5-tiny/umt5_io.safetensors", "wan-tiny/wan_dit.safetensors", "wan-tiny/wan_io.safetensors",
                "wan-pth/wan_dit_fp8.safetensors"))
            assertTrue(names.contains(expected), expected + " missing from " + names);
    }

    @ParameterizedTest
    @MethodSource("fixtureFiles")
    void headerAndEveryTensorAgreeWithRawBytes(Path file) throws IOException {
        RawSafetensors raw = RawSafetensors.read(file);
        try (Weights w = Weights.open(file); PointerScope scope = new PointerScope()) {
            assertEquals(List.copyOf(raw.entries().keySet()), List.copyOf(w.names()), "tensor names of " + file);
            assertEquals(raw.parameterCount(), w.parameterCount());
            assertTrue(w.parameterCount() > 0);
            assertEquals(raw.file().length - raw.dataStart(), w.byteCount(), "data section is fully used");
            for (var e : raw.entries().entrySet()) {
                String name = e.getKey();
                RawSafetensors.Entry r = e.getValue();
                TensorInfo info = w.info(name).orElseThrow();
                assertEquals(r.dtype(), info.dtype().code(), name);
                assertArrayEquals(r.shape(), info.shape(), name);
                try (PointerScope perTensor = new PointerScope()) {
                    Tensor t = w.load(name);
                    assertEquals(info.dtype(), Tensors.dtype(t), name);
                    assertArrayEquals(r.shape(), Tensors.shape(t), name);
                    assertArrayEquals(raw.bytes(name), Tensors.toBytes(t), name + " bytes");
                    checkElements(name, info.dtype(), raw.buffer(name), t);
                }
            }
        }
    }

    /** The first, a middle and the last element, decoded from raw bytes, equal the engine's values exactly. */
    private static void checkElements(String name, DType dtype, ByteBuffer raw, Tensor t) {
        long n = Tensors.numel(Tensors.shape(t));
        if (n == 0) return;
        for (long i : new long[]{0, n / 2, n - 1}) {
            switch (dtype) {
                case F32 -> assertEquals(raw.getFloat((int) i * 4), Tensors.toFloats(t)[(int) i], name + "[" + i + "]");
                case I64 -> assertEquals(raw.getLong((int) i * 8), Tensors.toLongs(t)[(int) i], name + "[" + i + "]");
                case F8_E4M3 -> assertEquals(Fp8Test.e4m3(raw.get((int) i)), Tensors.toFloats(t)[(int) i], name + "[" + i + "]");
                default -> fail("fixtures hold only F32, I64 and F8_E4M3, found " + dtype + " in " + name);
            }
        }
    }

    @Test
    void tinyDitMatchesItsDocumentedConfig() throws IOException {
        Path file = fixtures().resolve("linum-tiny/dit.safetensors");
        JsonNode cfg = new ObjectMapper().readTree(fixtures().resolve("linum-tiny/README.json").toFile()).get("dit");
        int dim = cfg.get("dim").asInt(), inDim = cfg.get("in_dim").asInt(), layers = cfg.get("num_layers").asInt();
        try (Weights w = Weights.open(file)) {
            assertArrayEquals(new long[]{dim, inDim, 1, 2, 2}, w.info("model.patch_embedding.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{dim, dim}, w.info("model.blocks.0.cross_attn.k.weight").orElseThrow().shape());
            assertTrue(w.contains("video_data_scale") && w.contains("video_data_bias"));
            long blocks = w.names().stream().filter(n -> n.startsWith("model.blocks.")).map(n -> n.split("\\.")[2]).distinct().count();
            assertEquals(layers, blocks);
            long counted = RawSafetensors.read(file).parameterCount();
            assertEquals(counted, w.parameterCount());
            assertEquals(421_920, w.parameterCount(), "the tiny DiT's documented size");
        }
    }

    @Test
    void ioFilesHoldTheDocumentedInputs() {
        try (Weights dit = Weights.open(fixtures().resolve("linum-tiny/dit_io.safetensors"));
             Weights vae = Weights.open(fixtures().resolve("linum-tiny/vae_io.safetensors"));
             Weights pipe = Weights.open(fixtures().resolve("linum-tiny/pipeline_io.safetensors"));
             Weights wan = Weights.open(fixtures().resolve("wan-tiny/wan_io.safetensors"));
             PointerScope scope = new PointerScope()) {
            assertArrayEquals(new long[]{2, 16, 3, 5, 6}, dit.info("x").orElseThrow().shape());
            assertArrayEquals(new long[]{7, 4096}, dit.info("text_0").orElseThrow().shape());
            assertArrayEquals(new long[]{16, 4096}, dit.info("text_1").orElseThrow().shape());
            assertEquals(DType.I64, dit.info("frame_lens").orElseThrow().dtype());
            assertArrayEquals(new long[]{3, 2}, Tensors.toLongs(dit.load("frame_lens")));
            assertArrayEquals(new long[]{1, 3, 9, 16, 24}, vae.info("video").orElseThrow().shape());
            assertArrayEquals(new long[]{1, 16, 3, 2, 3}, vae.info("expected_mu").orElseThrow().shape());
            assertArrayEquals(new long[]{4}, pipe.info("timesteps").orElseThrow().shape());
            assertArrayEquals(new long[]{51}, pipe.info("sigmas_50").orElseThrow().shape());
            float[] sigmas = Tensors.toFloats(pipe.load("sigmas_50"));
            for (int i = 1; i < sigmas.length; i++) assertTrue(sigmas[i] <= sigmas[i - 1], "sigmas decrease");
            assertEquals(DType.I64, wan.info("timesteps_50_shift5").orElseThrow().dtype());
            assertArrayEquals(new long[]{50}, wan.info("timesteps_50_shift5").orElseThrow().shape());
        }
    }

    @Test
    void t5EncodersMatchTheirConfigs() throws IOException {
        for (String variant : List.of("t5", "umt5")) {
            JsonNode cfg = new ObjectMapper().readTree(fixtures().resolve("t5-tiny/" + variant + "_config.json").toFile());
            int d = cfg.get("d_model").asInt(), ff = cfg.get("d_ff").asInt(), layers = cfg.get("num_layers").asInt();
            try (Weights w = Weights.open(fixtures().resolve("t5-tiny/" + variant + "_encoder.safetensors"))) {
                assertArrayEquals(new long[]{cfg.get("vocab_size").asInt(), d}, w.info("shared.weight").orElseThrow().shape());
                assertArrayEquals(new long[]{ff, d}, w.info("encoder.block.0.layer.1.DenseReluDense.wi_0.weight").orElseThrow().shape());
                long biasTables = w.names().stream().filter(n -> n.endsWith("relative_attention_bias.weight")).count();
                assertEquals(cfg.get("per_layer_bias").asBoolean() ? layers : 1, biasTables, variant);
            }
        }
    }
}
