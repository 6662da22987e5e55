package dev.zoetrope.models.dit;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;

class DitConfigTest {
    static JsonNode json(String s) {
        try {
            return Json.PLAIN.readTree(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void readsWanOriginalConfig() {
        DitConfig c = DitConfig.fromJson(json("""
                {"_class_name": "WanModel", "dim": 1536, "eps": 1e-06, "ffn_dim": 8960, "freq_dim": 256, "in_dim": 16,
                 "model_type": "t2v", "num_heads": 12, "num_layers": 30, "out_dim": 16, "text_len": 512}"""), ModelFamily.LINUM);
        assertEquals(ModelFamily.WAN, c.family());
        assertEquals(1536, c.dim());
        assertEquals(12, c.numHeads());
        assertEquals(128, c.headDim());
        assertEquals(1e-6, c.layerNormEps());
        assertTrue(c.textEmbeddingBias() && c.crossAttnKvBias() && !c.affineModulatedNorms() && !c.frameMask());
    }

    @Test
    void readsDiffusersTransformerConfig() {
        DitConfig c = DitConfig.fromJson(json("""
                {"_class_name": "WanTransformer3DModel", "num_attention_heads": 12, "attention_head_dim": 128,
                 "in_channels": 16, "out_channels": 16, "text_dim": 4096, "freq_dim": 256, "ffn_dim": 8960,
                 "num_layers": 30, "cross_attn_norm": true, "qk_norm": "rms_norm_across_heads", "eps": 1e-06,
                 "patch_size": [1, 2, 2]}"""), ModelFamily.LINUM);
        assertEquals(ModelFamily.WAN.dit(), c);
    }

    @Test
    void readsLinumFixtureReadme() {
        Path fixtures = Path.of(System.getProperty("zoetrope.fixtures"));
        DitConfig c = DitConfig.fromJson(Json.readTree(fixtures.resolve("linum-tiny/README.json")).get("dit"), ModelFamily.LINUM);
        assertEquals(64, c.dim());
        assertEquals(2, c.numHeads());
        assertEquals(16, c.textLen());
        assertEquals(new DitConfig.PatchSize(1, 2, 2), c.patchSize());
        assertEquals(1e-5, c.layerNormEps());
        assertEquals(1e-6, c.rmsNormEps());
        assertTrue(c.frameMask() && c.affineModulatedNorms() && !c.textEmbeddingBias());
    }

    @Test
    void roundTripsThroughJson() {
        DitConfig c = ModelFamily.LINUM.dit().withNumLayers(3);
        assertEquals(c, DitConfig.fromJson(Json.SNAKE.valueToTree(c.toJson()), ModelFamily.WAN));
    }

    @Test
    void badFieldsAreNamed() {
        ConfigException notNumber = assertThrows(ConfigException.class,
                () -> DitConfig.fromJson(json("{\"dim\": \"wide\"}"), ModelFamily.LINUM));
        assertTrue(notNumber.getMessage().contains("'dim'"), notNumber.getMessage());
        ConfigException heads = assertThrows(ConfigException.class,
                () -> DitConfig.fromJson(json("{\"dim\": 1000, \"num_heads\": 3}"), ModelFamily.LINUM));
        assertTrue(heads.getMessage().contains("num_heads"), heads.getMessage());
        ConfigException patch = assertThrows(ConfigException.class,
                () -> DitConfig.fromJson(json("{\"patch_size\": [1, 2]}"), ModelFamily.LINUM));
        assertTrue(patch.getMessage().contains("patch_size"), patch.getMessage());
    }

    @Test
    void diffusersNamesFollowTheRenameTable() {
        assertEquals("condition_embedder.time_embedder.linear_1.weight", DitKeyLayout.toDiffusers("time_embedding.0.weight"));
        assertEquals("condition_embedder.time_embedder.linear_2.bias", DitKeyLayout.toDiffusers("time_embedding.2.bias"));
        assertEquals("condition_embedder.time_proj.weight", DitKeyLayout.toDiffusers("time_projection.1.weight"));
        assertEquals("condition_embedder.text_embedder.linear_2.weight", DitKeyLayout.toDiffusers("text_embedding.2.weight"));
        assertEquals("blocks.7.scale_shift_table", DitKeyLayout.toDiffusers("blocks.7.modulation"));
        assertEquals("scale_shift_table", DitKeyLayout.toDiffusers("head.modulation"));
        assertEquals("proj_out.bias", DitKeyLayout.toDiffusers("head.head.bias"));
        assertEquals("blocks.3.attn1.to_q.weight", DitKeyLayout.toDiffusers("blocks.3.self_attn.q.weight"));
        assertEquals("blocks.3.attn1.to_out.0.bias", DitKeyLayout.toDiffusers("blocks.3.self_attn.o.bias"));
        assertEquals("blocks.3.attn2.norm_k.weight", DitKeyLayout.toDiffusers("blocks.3.cross_attn.norm_k.weight"));
        assertEquals("blocks.12.ffn.net.0.proj.weight", DitKeyLayout.toDiffusers("blocks.12.ffn.0.weight"));
        assertEquals("blocks.12.ffn.net.2.bias", DitKeyLayout.toDiffusers("blocks.12.ffn.2.bias"));
        assertEquals("blocks.0.norm2.weight", DitKeyLayout.toDiffusers("blocks.0.norm3.weight"));
        assertEquals("patch_embedding.weight", DitKeyLayout.toDiffusers("patch_embedding.weight"));
        assertEquals("model.blocks.0.norm3.weight", DitKeyLayout.LINUM.fileKey("blocks.0.norm3.weight"));
    }

    @Test
    void randomLinumCheckpointLoadsWithInferredConfig(@TempDir Path tmp) throws IOException {
        Engine.init();
        DitConfig c = new DitConfig(ModelFamily.LINUM, 256, 512, 2, 2, 32, 48, 256, 16, 16, new DitConfig.PatchSize(1, 2, 2),
                1e-5, 1e-6, false, false, true, true, true, true);
        Path file = tmp.resolve("360p.safetensors");
        DitCheckpoints.writeRandom(file, c, DitKeyLayout.LINUM, DType.BF16, 3);
        try (Weights w = Weights.open(file)) {
            assertEquals(DitKeyLayout.LINUM, DitKeyLayout.detect(w));
            assertTrue(w.contains("video_data_scale") && w.contains("model.blocks.1.ffn.2.bias"));
        }
        try (DiffusionTransformer m = DiffusionTransformer.load(file); PointerScope scope = new PointerScope()) {
            assertEquals(c, m.config(), "every field inferred from shapes, heads from the 128-channel default");
            assertEquals(DType.BF16, m.computeDtype());
            Tensor v = m.forward(torch.randn(1, 16, 2, 3, 4), new double[]{700}, List.of(torch.randn(5, 48)), new long[]{1});
            assertArrayEquals(new long[]{1, 16, 2, 3, 4}, Tensors.shape(v));
            assertTrue(Double.isFinite(Tensors.maxAbs(v)) && Tensors.maxAbs(v.narrow(2, 0, 1)) > 0);
            assertEquals(0.0, Tensors.maxAbs(v.narrow(2, 1, 1)), "masked frame");
        }
    }
}
