package dev.zoetrope.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;

/** Diffusers' key layout and config, and dims inferred from weights. */
class WanVaeLayoutTest {
    @TempDir
    Path tmp;

    @Test
    void renamesKeysLikeDiffusers() {
        int r = 2;
        assertEquals("quant_conv.weight", VaeLayout.toDiffusers("conv1.weight", r));
        assertEquals("post_quant_conv.bias", VaeLayout.toDiffusers("conv2.bias", r));
        assertEquals("encoder.conv_in.weight", VaeLayout.toDiffusers("encoder.conv1.weight", r));
        assertEquals("decoder.norm_out.gamma", VaeLayout.toDiffusers("decoder.head.0.gamma", r));
        assertEquals("encoder.conv_out.bias", VaeLayout.toDiffusers("encoder.head.2.bias", r));
        assertEquals("encoder.down_blocks.3.norm1.gamma", VaeLayout.toDiffusers("encoder.downsamples.3.residual.0.gamma", r));
        assertEquals("encoder.down_blocks.3.conv1.weight", VaeLayout.toDiffusers("encoder.downsamples.3.residual.2.weight", r));
        assertEquals("encoder.down_blocks.3.norm2.gamma", VaeLayout.toDiffusers("encoder.downsamples.3.residual.3.gamma", r));
        assertEquals("encoder.down_blocks.3.conv2.bias", VaeLayout.toDiffusers("encoder.downsamples.3.residual.6.bias", r));
        assertEquals("encoder.down_blocks.3.conv_shortcut.weight", VaeLayout.toDiffusers("encoder.downsamples.3.shortcut.weight", r));
        assertEquals("encoder.down_blocks.5.time_conv.weight", VaeLayout.toDiffusers("encoder.downsamples.5.time_conv.weight", r));
        assertEquals("decoder.mid_block.resnets.0.conv1.weight", VaeLayout.toDiffusers("decoder.middle.0.residual.2.weight", r));
        assertEquals("decoder.mid_block.attentions.0.to_qkv.weight", VaeLayout.toDiffusers("decoder.middle.1.to_qkv.weight", r));
        assertEquals("encoder.mid_block.resnets.1.norm2.gamma", VaeLayout.toDiffusers("encoder.middle.2.residual.3.gamma", r));
        assertEquals("decoder.up_blocks.0.resnets.2.conv2.weight", VaeLayout.toDiffusers("decoder.upsamples.2.residual.6.weight", r));
        assertEquals("decoder.up_blocks.0.upsamplers.0.time_conv.bias", VaeLayout.toDiffusers("decoder.upsamples.3.time_conv.bias", r));
        assertEquals("decoder.up_blocks.1.resnets.0.conv_shortcut.weight", VaeLayout.toDiffusers("decoder.upsamples.4.shortcut.weight", r));
        assertEquals("decoder.up_blocks.2.upsamplers.0.resample.1.weight", VaeLayout.toDiffusers("decoder.upsamples.11.resample.1.weight", r));
        assertEquals("decoder.up_blocks.3.resnets.2.norm1.gamma", VaeLayout.toDiffusers("decoder.upsamples.14.residual.0.gamma", r));
    }

    @Test
    void diffusersFolderGivesIdenticalOutputs() throws Exception {
        Path vaeDir = tmp.resolve("model/vae");
        LatentScale stats = LatentScale.fromMeanStd(
                new float[]{0.1f, -0.2f, 0.3f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5f},
                new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        try (WanVae original = WanVae.load(WanVaeFixtureTest.fixture("vae.safetensors"));
             Weights io = Weights.open(WanVaeFixtureTest.fixture("vae_io.safetensors"));
             PointerScope s = new PointerScope()) {
            // every tensor is loaded with the model; write them under Diffusers names
            VaeCheckpoints.writeDiffusers(vaeDir, original.params(), original.config(), stats);
            try (Weights w = Weights.open(vaeDir.resolve("diffusion_pytorch_model.safetensors"))) {
                assertTrue(w.contains("decoder.up_blocks.0.upsamplers.0.time_conv.weight"));
                assertFalse(w.contains("encoder.conv1.weight"));
            }
            // the model folder (with vae/ inside) is accepted too
            try (WanVae diffusers = WanVae.load(tmp.resolve("model"))) {
                assertEquals(VaeLayout.DIFFUSERS, diffusers.layout());
                assertEquals(original.config(), diffusers.config());
                assertEquals(stats, diffusers.latentNormalization().orElseThrow());
                Tensor video = io.load("video"), z = io.load("z");
                assertEquals(0.0, Tensors.maxAbsDiff(original.encode(video), diffusers.encode(video)));
                assertEquals(0.0, Tensors.maxAbsDiff(original.decode(z), diffusers.decode(z)));
            }
        }
    }

    @Test
    void infersAnotherConfigFromARandomCheckpoint() throws Exception {
        WanVaeConfig c = new WanVaeConfig(4, 8, List.of(1, 2, 3), 3, List.of(0.5), List.of(false, true));
        Path file = tmp.resolve("vae.safetensors");
        try (WanVae random = WanVae.random(c, 3)) {
            VaeCheckpoints.write(file, random.params(), c, VaeLayout.ORIGINAL);
        }
        try (WanVae loaded = WanVae.load(file)) {
            assertEquals(c, loaded.config());
            assertTrue(loaded.latentNormalization().isEmpty(), "8 latent channels have no published statistics");
        }
    }

    @Test
    void readsDiffusersAndOriginalConfigNames() throws Exception {
        Path a = tmp.resolve("a.json"), b = tmp.resolve("b.json");
        Files.writeString(a, """
                {"_class_name": "AutoencoderKLWan", "base_dim": 96, "z_dim": 16, "dim_mult": [1, 2, 4, 4],
                 "num_res_blocks": 2, "attn_scales": [], "temperal_downsample": [false, true, true], "dropout": 0.0}""");
        Files.writeString(b, """
                {"dim": 8, "z_dim": 4, "temperal_downsample": [true, true, false]}""");
        assertEquals(WanVaeConfig.wan21(), WanVaeConfig.read(a));
        assertEquals(new WanVaeConfig(8, 4, List.of(1, 2, 4, 4), 2, List.of(), List.of(true, true, false)), WanVaeConfig.read(b));
        Files.writeString(b, """
                {"dim": 8, "temperal_downsample": [true]}""");
        var e = assertThrows(dev.zoetrope.core.config.ConfigException.class, () -> WanVaeConfig.read(b));
        assertTrue(e.getMessage().contains("temperal_downsample"), e.getMessage());
    }
}
