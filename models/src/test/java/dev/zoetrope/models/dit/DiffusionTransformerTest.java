package dev.zoetrope.models.dit;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
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

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.ModelLoadException;

class DiffusionTransformerTest {
    static final Path FIXTURES = Path.of(System.getProperty("zoetrope.fixtures"));
    static final Path LINUM = FIXTURES.resolve("linum-tiny");
    static final Path WAN = FIXTURES.resolve("wan-tiny");

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    static JsonNode ditReadme(Path dir) {
        return Json.readTree(dir.resolve("README.json")).get("dit");
    }

    static DiffusionTransformer linum(Attention.Kernel kernel) {
        return DiffusionTransformer.load(LINUM.resolve("dit.safetensors"), DitLoadOptions.defaults()
                .withOverrides(ditReadme(LINUM)).withAttention(new Attention.Options(kernel, Attention.Options.DEFAULT_WORKSPACE)));
    }

    static DiffusionTransformer wan(Path weights) {
        return DiffusionTransformer.load(weights, DitLoadOptions.defaults().withOverrides(ditReadme(WAN)));
    }

    static void assertClose(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(Tensors.shape(expected), Tensors.shape(actual), what + " shape");
        double diff = Tensors.maxAbsDiff(expected, actual), scale = Tensors.maxAbs(expected);
        assertTrue(scale > 0, what + ": expected tensor is all zeros");
        assertTrue(diff <= 1e-4 * scale, what + ": max|Δ| " + diff + " > 1e-4 × " + scale);
    }

    @Test
    void linumConfigIsInferredFromWeightsPlusHeads() {
        try (DiffusionTransformer m = linum(Attention.Kernel.AUTO)) {
            DitConfig c = m.config();
            JsonNode r = ditReadme(LINUM);
            assertEquals(ModelFamily.LINUM, c.family());
            assertEquals(r.get("dim").asInt(), c.dim());
            assertEquals(r.get("ffn_dim").asInt(), c.ffnDim());
            assertEquals(r.get("num_layers").asInt(), c.numLayers());
            assertEquals(r.get("text_dim").asInt(), c.textDim());
            assertEquals(r.get("text_len").asInt(), c.textLen());
            assertEquals(1e-5, c.layerNormEps());
            assertFalse(c.textEmbeddingBias());
            assertFalse(c.crossAttnKvBias());
            assertTrue(c.affineModulatedNorms());
            assertTrue(c.frameMask());
            assertEquals(DType.F32, m.computeDtype());
            assertEquals(DitKeyLayout.LINUM, m.layout().orElseThrow());
            assertEquals(16, m.videoDataScale().orElseThrow().length);
        }
    }

    @Test
    void linumForwardMatchesReferenceWithFrameMaskAndOddHeight() {
        for (Attention.Kernel kernel : new Attention.Kernel[]{Attention.Kernel.FUSED, Attention.Kernel.CHUNKED}) {
            try (DiffusionTransformer m = linum(kernel); Weights io = Weights.open(LINUM.resolve("dit_io.safetensors"));
                 PointerScope scope = new PointerScope()) {
                Tensor v = m.forward(io.load("x"), io.load("t"), List.of(io.load("text_0"), io.load("text_1")),
                        Tensors.toLongs(io.load("frame_lens")));
                Tensor expected = io.load("expected_velocity");
                assertClose(expected, v, "linum velocity (" + kernel + ")");
                // sample 2 has 2 of 3 frames: its last frame's velocity is exactly 0
                assertEquals(0.0, Tensors.maxAbs(v.narrow(0, 1, 1).narrow(2, 2, 1)));
            }
        }
    }

    @Test
    void batchedGuidanceEqualsSeparateForwards() {
        try (DiffusionTransformer m = linum(Attention.Kernel.AUTO); Weights io = Weights.open(LINUM.resolve("dit_io.safetensors"));
             PointerScope scope = new PointerScope()) {
            Tensor x = io.load("x").narrow(0, 0, 1);
            double t = Tensors.toDoubles(io.load("t"))[0];
            Tensor cond = io.load("text_0"), uncond = io.load("text_1").narrow(0, 0, 3);
            Tensor both = m.forward(org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(x, x), 0),
                    new double[]{t, t}, List.of(cond, uncond), null);
            // the same latents through a non-contiguous view
            Tensor c = m.forward(x.transpose(3, 4).contiguous().transpose(3, 4), new double[]{t}, List.of(cond), null);
            Tensor u = m.forward(x, new double[]{t}, List.of(uncond), null);
            assertClose(c, both.narrow(0, 0, 1), "cond half of the batch");
            assertClose(u, both.narrow(0, 1, 1), "null half of the batch");
            assertTrue(Tensors.maxAbsDiff(c, u) > 1e-3, "cond and null predictions should differ");
        }
    }

    @Test
    void wanForwardMatchesReference() {
        try (DiffusionTransformer m = wan(WAN.resolve("wan_dit.safetensors")); Weights io = Weights.open(WAN.resolve("wan_io.safetensors"));
             PointerScope scope = new PointerScope()) {
            DitConfig c = m.config();
            assertEquals(ModelFamily.WAN, c.family());
            assertTrue(c.textEmbeddingBias() && c.crossAttnKvBias() && !c.affineModulatedNorms() && !c.frameMask());
            assertEquals(1e-6, c.layerNormEps());
            assertEquals(DitKeyLayout.WAN_ORIGINAL, m.layout().orElseThrow());
            Tensor v = m.forward(io.load("x").unsqueeze(0), io.load("t"), List.of(io.load("context")), null);
            assertClose(io.load("expected_velocity"), v.squeeze(0), "wan velocity");
        }
    }

    @Test
    void wanDiffusersLayoutGivesIdenticalOutput(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("model/transformer");
        java.nio.file.Files.createDirectories(dir);
        DitCheckpoints.relayout(WAN.resolve("wan_dit.safetensors"), dir.resolve("diffusion_pytorch_model.safetensors"),
                DitKeyLayout.WAN_DIFFUSERS);
        try (Weights w = Weights.open(dir)) {
            assertTrue(w.contains("condition_embedder.time_proj.weight"));
            assertTrue(w.contains("blocks.0.attn1.to_out.0.weight"));
            assertTrue(w.contains("blocks.0.attn2.norm_k.weight"));
            assertTrue(w.contains("blocks.1.norm2.weight"), "original norm3 is Diffusers norm2");
            assertTrue(w.contains("blocks.0.ffn.net.0.proj.bias"));
            assertArrayEquals(new long[]{1, 6, 64}, w.info("blocks.0.scale_shift_table").orElseThrow().shape());
            assertArrayEquals(new long[]{1, 2, 64}, w.info("scale_shift_table").orElseThrow().shape());
            assertTrue(w.contains("proj_out.weight") && w.contains("patch_embedding.weight"));
            assertFalse(w.contains("head.head.weight"));
        }
        try (DiffusionTransformer original = wan(WAN.resolve("wan_dit.safetensors"));
             DiffusionTransformer diffusers = wan(tmp.resolve("model"));
             Weights io = Weights.open(WAN.resolve("wan_io.safetensors")); PointerScope scope = new PointerScope()) {
            assertEquals(DitKeyLayout.WAN_DIFFUSERS, diffusers.layout().orElseThrow());
            assertEquals(original.config(), diffusers.config());
            Tensor x = io.load("x").unsqueeze(0);
            Tensor a = original.forward(x, io.load("t"), List.of(io.load("context")), null);
            Tensor b = diffusers.forward(x, io.load("t"), List.of(io.load("context")), null);
            assertEquals(0.0, Tensors.maxAbsDiff(a, b));
            assertClose(io.load("expected_velocity"), b.squeeze(0), "wan velocity, Diffusers layout");
        }
    }

    /** The wan-tiny weights, edited by {@code edit}, written to a temp file. */
    static Path editedWan(Path tmp, java.util.function.BiConsumer<Weights, Map<String, Tensor>> edit) throws IOException {
        Path out = tmp.resolve("edited.safetensors");
        try (Weights w = Weights.open(WAN.resolve("wan_dit.safetensors")); PointerScope scope = new PointerScope()) {
            Map<String, Tensor> tensors = new TreeMap<>();
            for (String n : w.names()) tensors.put(n, w.load(n));
            edit.accept(w, tensors);
            SafetensorsWriter.write(out, tensors);
        }
        return out;
    }

    @Test
    void missingTensorIsNamedWithItsShape(@TempDir Path tmp) throws IOException {
        Path f = editedWan(tmp, (w, t) -> t.remove("blocks.1.cross_attn.v.bias"));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> wan(f));
        assertTrue(e.getMessage().contains("blocks.1.cross_attn.v.bias") && e.getMessage().contains("[64]"), e.getMessage());
    }

    @Test
    void wrongShapeIsNamedWithBothShapes(@TempDir Path tmp) throws IOException {
        Path f = editedWan(tmp, (w, t) -> t.put("blocks.0.ffn.2.weight", t.get("blocks.0.ffn.2.weight").narrow(1, 0, 90).contiguous()));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> wan(f));
        assertTrue(e.getMessage().contains("blocks.0.ffn.2.weight") && e.getMessage().contains("[64, 96]")
                && e.getMessage().contains("[64, 90]"), e.getMessage());
    }

    @Test
    void mixedBf16AndFloat32MatricesAreRefusedUnlessCast(@TempDir Path tmp) throws IOException {
        Path f = editedWan(tmp, (w, t) -> t.put("blocks.0.self_attn.q.weight", t.get("blocks.0.self_attn.q.weight").to(ScalarType.BFloat16)));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> wan(f));
        assertTrue(e.getMessage().contains("BF16") && e.getMessage().contains("F32")
                && e.getMessage().contains("blocks.0.self_attn.q.weight"), e.getMessage());
        try (DiffusionTransformer m = DiffusionTransformer.load(f, DitLoadOptions.defaults().withOverrides(ditReadme(WAN)).withCast(DType.F32))) {
            assertEquals(DType.F32, m.computeDtype());
        }
    }

    @Test
    void bf16CheckpointStaysBf16AndTracksFloat32(@TempDir Path tmp) throws IOException {
        Path f = editedWan(tmp, (w, t) -> t.replaceAll((k, v) -> v.to(ScalarType.BFloat16)));
        try (DiffusionTransformer m = wan(f); Weights io = Weights.open(WAN.resolve("wan_io.safetensors"));
             PointerScope scope = new PointerScope()) {
            assertEquals(DType.BF16, m.computeDtype());
            assertEquals(DType.BF16, Tensors.dtype(m.parameters().get("blocks.0.ffn.0.weight")));
            Tensor v = m.forward(io.load("x").unsqueeze(0), io.load("t"), List.of(io.load("context")), null);
            Tensor expected = io.load("expected_velocity");
            // bf16 weights and matmuls: a few percent of the velocity's scale
            assertTrue(Tensors.maxAbsDiff(expected, v.squeeze(0)) < 0.05 * Tensors.maxAbs(expected));
        }
    }

    @Test
    void frameLengthsAreRefusedForWan() {
        try (DiffusionTransformer m = wan(WAN.resolve("wan_dit.safetensors")); Weights io = Weights.open(WAN.resolve("wan_io.safetensors"));
             PointerScope scope = new PointerScope()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(io.load("x").unsqueeze(0), io.load("t"), List.of(io.load("context")), new long[]{1}));
            assertTrue(e.getMessage().contains("no frame mask"), e.getMessage());
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(io.load("x").unsqueeze(0), io.load("t"), List.of(org.bytedeco.pytorch.global.torch.zeros(13, 32)), null));
            assertTrue(tooLong.getMessage().contains("text_len"), tooLong.getMessage());
        }
    }
}
