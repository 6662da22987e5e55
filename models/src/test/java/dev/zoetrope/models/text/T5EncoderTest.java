package dev.zoetrope.models.text;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.ModelLoadException;

class T5EncoderTest {
    static Path t5Tiny() {
        return Path.of(System.getProperty("zoetrope.fixtures")).resolve("t5-tiny");
    }

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** A model directory (config.json + weights) holding the fixture's encoder, tensors optionally changed. */
    static Path modelDir(Path dir, String variant, java.util.function.UnaryOperator<Map<String, Tensor>> change) throws IOException {
        Files.createDirectories(dir);
        Files.copy(t5Tiny().resolve(variant + "_config.json"), dir.resolve("config.json"));
        try (PointerScope s = new PointerScope(); Weights w = Weights.open(t5Tiny().resolve(variant + "_encoder.safetensors"))) {
            Map<String, Tensor> tensors = new TreeMap<>();
            for (String n : w.names()) tensors.put(n, w.load(n));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), change.apply(tensors));
        }
        return dir;
    }

    /** max |Δ| over the unmasked positions, relative to max |expected| there. */
    static double relativeError(Tensor actual, Tensor expected, Tensor mask) {
        Tensor m = mask.to(ScalarType.Double).unsqueeze(-1);
        double diff = Tensors.maxAbs(actual.to(ScalarType.Double).sub(expected.to(ScalarType.Double)).mul(m));
        double scale = Tensors.maxAbs(expected.to(ScalarType.Double).mul(m));
        assertTrue(scale > 0);
        return diff / scale;
    }

    static double fixtureError(T5Encoder enc, String variant) {
        try (PointerScope s = new PointerScope(); Weights io = Weights.open(t5Tiny().resolve(variant + "_io.safetensors"))) {
            Tensor ids = io.load("input_ids"), mask = io.load("attention_mask");
            return relativeError(enc.forward(ids, mask), io.load("expected_hidden"), mask);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t5", "umt5"})
    void matchesTheReferenceHiddenStates(String variant) {
        T5Config config = T5Config.read(t5Tiny().resolve(variant + "_config.json"));
        assertEquals(variant.equals("umt5"), config.perLayerBias());
        try (Weights w = Weights.open(t5Tiny().resolve(variant + "_encoder.safetensors"));
             T5Encoder enc = T5Encoder.load(config, w, null)) {
            assertEquals(DType.F32, enc.dtype());
            double err = fixtureError(enc, variant);
            assertTrue(err <= 1e-4, variant + ": relative error " + err);
        }
    }

    @Test
    void sharedTableIsOnlyReadFromBlockZeroForT5() {
        T5Config config = T5Config.read(t5Tiny().resolve("t5_config.json"));
        try (Weights w = Weights.open(t5Tiny().resolve("t5_encoder.safetensors")); T5Encoder enc = T5Encoder.load(config, w, null)) {
            long tables = enc.parameters().keySet().stream().filter(k -> k.endsWith("relative_attention_bias.weight")).count();
            assertEquals(1, tables);
        }
        T5Config umt5 = T5Config.read(t5Tiny().resolve("umt5_config.json"));
        try (Weights w = Weights.open(t5Tiny().resolve("umt5_encoder.safetensors")); T5Encoder enc = T5Encoder.load(umt5, w, null)) {
            long tables = enc.parameters().keySet().stream().filter(k -> k.endsWith("relative_attention_bias.weight")).count();
            assertEquals(3, tables);
        }
    }

    @Test
    void encodeTrimsEachPromptToItsLength() {
        T5Config config = T5Config.read(t5Tiny().resolve("t5_config.json"));
        try (PointerScope s = new PointerScope();
             Weights w = Weights.open(t5Tiny().resolve("t5_encoder.safetensors"));
             T5Encoder enc = T5Encoder.load(config, w, null);
             Weights io = Weights.open(t5Tiny().resolve("t5_io.safetensors"))) {
            long[] ids = Tensors.toLongs(io.load("input_ids")), mask = Tensors.toLongs(io.load("attention_mask"));
            Tensor expected = io.load("expected_hidden");
            int batch = (int) expected.size(0), len = (int) expected.size(1);
            int[][] prompts = new int[batch][];
            for (int b = 0; b < batch; b++) {
                int n = 0;
                while (n < len && mask[b * len + n] == 1) n++;
                prompts[b] = new int[n];
                for (int i = 0; i < n; i++) prompts[b][i] = (int) ids[b * len + i];
            }
            assertTrue(prompts[0].length != prompts[batch - 1].length || prompts[1].length != prompts[0].length,
                    "the fixture batch is padded");
            List<Tensor> states = enc.encode(prompts);
            double scale = Tensors.maxAbs(expected);
            for (int b = 0; b < batch; b++) {
                assertArrayEquals(new long[]{prompts[b].length, config.dModel()}, Tensors.shape(states.get(b)));
                Tensor want = expected.select(0, b).narrow(0, 0, prompts[b].length);
                assertTrue(Tensors.maxAbsDiff(states.get(b), want) <= 1e-4 * scale, "prompt " + b);
            }
            // Alone, a prompt gives the same states as in the padded batch.
            assertTrue(Tensors.maxAbsDiff(enc.encode(prompts[1]), states.get(1)) <= 1e-5 * scale);
            Tensor padded = T5Encoder.zeroPadded(states.get(0), 32);
            assertArrayEquals(new long[]{32, config.dModel()}, Tensors.shape(padded));
            assertEquals(0.0, Tensors.maxAbs(padded.narrow(0, prompts[0].length, 32 - prompts[0].length)));
            assertEquals(0.0, Tensors.maxAbsDiff(padded.narrow(0, 0, prompts[0].length), states.get(0)));
        }
    }

    @Test
    void bf16WeightsStayBf16(@TempDir Path tmp) throws IOException {
        Path dir = modelDir(tmp.resolve("bf16"), "t5", m -> {
            m.replaceAll((k, t) -> t.to(ScalarType.BFloat16));
            return m;
        });
        try (T5Encoder enc = T5Encoder.load(dir)) {
            assertEquals(DType.BF16, enc.dtype());
            assertFalse(enc.parameters().isEmpty());
            enc.parameters().forEach((k, t) -> assertEquals(DType.BF16, Tensors.dtype(t), k));
            double err = fixtureError(enc, "t5");
            assertTrue(err <= 5e-2, "bf16 relative error " + err);
            assertTrue(err > 0, "bf16 rounding must show");
        }
    }

    @Test
    void explicitDtypeCastsOnLoad(@TempDir Path tmp) throws IOException {
        Path dir = modelDir(tmp.resolve("f32"), "umt5", m -> m);
        try (T5Encoder enc = T5Encoder.load(dir, DType.BF16)) {
            enc.parameters().forEach((k, t) -> assertEquals(DType.BF16, Tensors.dtype(t), k));
            assertTrue(fixtureError(enc, "umt5") <= 5e-2);
        }
    }

    @Test
    void shardedCheckpointGivesIdenticalOutput(@TempDir Path tmp) throws IOException {
        Path single = modelDir(tmp.resolve("single"), "t5", m -> m);
        Path sharded = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(single.resolve("config.json"), sharded.resolve("config.json"));
        ObjectNode index = Json.PLAIN.createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        try (PointerScope s = new PointerScope(); Weights w = Weights.open(single.resolve("model.safetensors"))) {
            Map<String, Tensor> first = new TreeMap<>(), second = new TreeMap<>();
            int i = 0;
            for (String n : w.names()) {
                boolean one = i++ % 2 == 0;
                (one ? first : second).put(n, w.load(n));
                map.put(n, one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
            }
            SafetensorsWriter.write(sharded.resolve("model-00001-of-00002.safetensors"), first);
            SafetensorsWriter.write(sharded.resolve("model-00002-of-00002.safetensors"), second);
        }
        Files.writeString(sharded.resolve("model.safetensors.index.json"), Json.PLAIN.writeValueAsString(index));
        try (PointerScope s = new PointerScope(); T5Encoder a = T5Encoder.load(single); T5Encoder b = T5Encoder.load(sharded);
             Weights io = Weights.open(t5Tiny().resolve("t5_io.safetensors"))) {
            Tensor ids = io.load("input_ids"), mask = io.load("attention_mask");
            Tensor x = a.forward(ids, mask), y = b.forward(ids, mask);
            assertTrue(Tensors.maxAbs(x) > 0);
            assertEquals(0.0, Tensors.maxAbsDiff(x, y));
        }
    }

    @Test
    void badWeightsNameTheTensor(@TempDir Path tmp) throws IOException {
        String wo = "encoder.block.1.layer.1.DenseReluDense.wo.weight";
        Path missing = modelDir(tmp.resolve("missing"), "t5", m -> {
            m.remove(wo);
            return m;
        });
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> T5Encoder.load(missing));
        assertTrue(e.getMessage().contains(wo) && e.getMessage().contains("missing"), e.getMessage());

        String norm = "encoder.final_layer_norm.weight";
        Path wrongShape = modelDir(tmp.resolve("shape"), "t5", m -> {
            m.put(norm, m.get(norm).narrow(0, 0, 31));
            return m;
        });
        e = assertThrows(ModelLoadException.class, () -> T5Encoder.load(wrongShape));
        assertTrue(e.getMessage().contains(norm) && e.getMessage().contains("[31]") && e.getMessage().contains("[32]"), e.getMessage());

        Path mixed = modelDir(tmp.resolve("mixed"), "t5", m -> {
            m.put(norm, m.get(norm).to(ScalarType.BFloat16));
            return m;
        });
        e = assertThrows(ModelLoadException.class, () -> T5Encoder.load(mixed));
        assertTrue(e.getMessage().contains("mix") && e.getMessage().contains(norm) && e.getMessage().contains("BF16"), e.getMessage());
    }

    @Test
    void closedEncoderRefusesWork() {
        T5Config config = T5Config.read(t5Tiny().resolve("t5_config.json"));
        T5Encoder enc;
        try (Weights w = Weights.open(t5Tiny().resolve("t5_encoder.safetensors"))) {
            enc = T5Encoder.load(config, w, null);
        }
        enc.close();
        assertThrows(IllegalStateException.class, () -> enc.encode(new int[]{5, 1}));
    }

    @Test
    void readsHuggingFaceConfigNames() {
        ObjectNode json = Json.PLAIN.createObjectNode().put("model_type", "umt5").put("d_model", 4096).put("d_kv", 64)
                .put("d_ff", 10240).put("num_heads", 64).put("num_layers", 24).put("relative_attention_num_buckets", 32)
                .put("relative_attention_max_distance", 128).put("feed_forward_proj", "gated-gelu")
                .put("layer_norm_epsilon", 1e-6).put("vocab_size", 256384);
        T5Config c = T5Config.fromJson(json, "config.json");
        assertEquals(T5Config.umt5Xxl(), c);
        assertEquals(T5Config.Activation.GELU_TANH, c.activation());
        assertTrue(c.gated());
        json.put("model_type", "t5").put("vocab_size", 32128);
        assertEquals(T5Config.t5v11Xxl(), T5Config.fromJson(json, "config.json"));
        json.remove("d_kv");
        var e = assertThrows(dev.zoetrope.core.config.ConfigException.class, () -> T5Config.fromJson(json, "config.json"));
        assertTrue(e.getMessage().contains("d_kv"), e.getMessage());
    }

    @Test
    void relativeBucketsAreBidirectionalAndLogarithmic() {
        try (PointerScope s = new PointerScope()) {
            long[] b = Tensors.toLongs(T5Encoder.relativePositionBuckets(300, 32, 128));
            java.util.function.IntBinaryOperator at = (q, k) -> (int) b[q * 300 + k];
            assertEquals(0, at.applyAsInt(5, 5));
            assertEquals(1, at.applyAsInt(5, 4));     // key one before the query
            assertEquals(17, at.applyAsInt(4, 5));    // key one after
            assertEquals(7, at.applyAsInt(7, 0));     // last exact bucket
            assertEquals(9, at.applyAsInt(12, 0));    // 8 + floor(ln 1.5 / ln 16 · 8)
            assertEquals(25, at.applyAsInt(0, 12));
            assertEquals(15, at.applyAsInt(127, 0));
            assertEquals(15, at.applyAsInt(299, 0));  // beyond max distance: clamped
            assertEquals(31, at.applyAsInt(0, 299));
        }
    }
}
