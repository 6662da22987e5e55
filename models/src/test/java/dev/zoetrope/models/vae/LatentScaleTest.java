package dev.zoetrope.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.ModelLoadException;

class LatentScaleTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    @Test
    void wanStatisticsNormalizePerChannelAndInvert() {
        LatentScale n = LatentScale.wan21();
        assertEquals(16, n.channels());
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(1);
            Tensor z = torch.randn(2, 16, 3, 2, 2);
            Tensor x = n.toDit(z);
            float[] zf = Tensors.toFloats(z), xf = Tensors.toFloats(x);
            // element (b=1, c=5, t=2, h=1, w=0)
            int i = ((1 * 16 + 5) * 3 + 2) * 4 + 1 * 2;
            assertEquals((zf[i] - 0.9653f) / 1.7708f, xf[i], 1e-5);
            assertTrue(Tensors.maxAbsDiff(z, n.toVae(x)) < 1e-5);
        }
    }

    @Test
    void meanStdBecomeScaleAndBiasInFloatAndAreKeptAsGiven() {
        float[] mean = {0.1f, -0.7571f, 0}, std = {3f, 2.8184f, 0.3f};
        LatentScale l = LatentScale.fromMeanStd(mean, std);
        for (int c = 0; c < 3; c++) {
            assertEquals(Float.floatToIntBits(1f / std[c]), Float.floatToIntBits(l.scale()[c]), "scale of channel " + c);
            assertEquals(Float.floatToIntBits(-mean[c] / std[c]), Float.floatToIntBits(l.bias()[c]), "bias of channel " + c);
        }
        // what a config is written from: the given numbers, not 1/scale and −bias/scale rounded back
        assertArrayEquals(mean, l.mean());
        assertArrayEquals(std, l.std());
        mean[0] = 42;
        assertEquals(0.1f, l.mean()[0], "the record copies its arrays");
    }

    @Test
    void appliesXTimesScalePlusBiasAndItsInverse() {
        LatentScale l = new LatentScale(new float[]{2f, 0.5f}, new float[]{1f, -3f});
        assertNull(l.mean());
        assertNull(l.std());
        try (PointerScope s = new PointerScope()) {
            Tensor z = Tensors.fromFloats(new float[]{1, 2, 4, 8}, 1, 2, 2, 1, 1);
            assertArrayEquals(new float[]{3, 5, -1, 1}, Tensors.toFloats(l.toDit(z)));
            assertArrayEquals(new float[]{1, 2, 4, 8}, Tensors.toFloats(l.toVae(l.toDit(z))));
            var e = assertThrows(IllegalArgumentException.class, () -> l.toVae(torch.zeros(1, 3, 1, 1, 1)));
            assertTrue(e.getMessage().contains("(B, 2, T, H, W)"), e.getMessage());
        }
    }

    @Test
    void rejectsMapsThatCannotBeInverted() {
        assertThrows(IllegalArgumentException.class, () -> new LatentScale(new float[]{1, 0}, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> new LatentScale(new float[]{Float.NaN}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> new LatentScale(new float[]{1, 1}, new float[1]));
        var e = assertThrows(IllegalArgumentException.class, () -> LatentScale.fromMeanStd(new float[]{0}, new float[]{-1}));
        assertTrue(e.getMessage().contains("positive"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LatentScale.fromMeanStd(new float[2], new float[]{1}));
        // statistics that disagree with the map would be written to configs beside it
        assertThrows(IllegalArgumentException.class,
                () -> new LatentScale(new float[]{0.5f}, new float[]{0}, new float[]{1}, new float[]{2}));
        assertThrows(IllegalArgumentException.class, () -> new LatentScale(new float[]{0.5f}, new float[]{0}, new float[]{0}, null));
    }

    @Test
    void equalityComparesContentsAndStatistics() {
        assertEquals(LatentScale.wan21(), LatentScale.wan21());
        assertEquals(LatentScale.wan21().hashCode(), LatentScale.wan21().hashCode());
        LatentScale w = LatentScale.wan21();
        assertNotEquals(w, new LatentScale(w.scale(), w.bias()), "the same map without its statistics");
    }

    @Test
    void readsDiffusersConfig() throws Exception {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, "{\"latents_mean\": [0.5, -1], \"latents_std\": [2, 4]}");
        LatentScale n = LatentScale.fromConfig(cfg);
        assertArrayEquals(new float[]{0.5f, -1f}, n.mean());
        assertArrayEquals(new float[]{2f, 4f}, n.std());
        assertEquals(LatentScale.fromMeanStd(new float[]{0.5f, -1f}, new float[]{2f, 4f}), n);
        Files.writeString(cfg, "{\"base_dim\": 96}");
        assertNull(LatentScale.fromConfig(cfg));
        Files.writeString(cfg, "{\"latents_mean\": [0.5, -1], \"latents_std\": [2, 0]}");
        var e = assertThrows(ConfigException.class, () -> LatentScale.fromConfig(cfg));
        assertTrue(e.getMessage().contains("positive"), e.getMessage());
        Files.writeString(cfg, "{\"latents_mean\": [0.5, \"x\"], \"latents_std\": [2, 1]}");
        e = assertThrows(ConfigException.class, () -> LatentScale.fromConfig(cfg));
        assertTrue(e.getMessage().contains("latents_mean"), e.getMessage());
    }

    @Test
    void readsLinumBuffersFromTheDitCheckpoint() throws Exception {
        Path file = tmp.resolve("dit.safetensors");
        try (PointerScope s = new PointerScope()) {
            SafetensorsWriter.write(file, Map.of(LatentScale.SCALE_KEY, Tensors.fromFloats(new float[]{2, 4}, 2),
                    LatentScale.BIAS_KEY, Tensors.fromFloats(new float[]{0.5f, -1}, 2)));
        }
        try (Weights w = Weights.open(file)) {
            LatentScale l = LatentScale.fromDit(w, 2);
            assertEquals(new LatentScale(new float[]{2, 4}, new float[]{0.5f, -1}), l);
            assertNull(l.mean(), "Linum's map has no statistics behind it");
            var e = assertThrows(ModelLoadException.class, () -> LatentScale.fromDit(w, 3));
            assertTrue(e.getMessage().contains("expected [3]"), e.getMessage());
        }
        try (PointerScope s = new PointerScope()) {
            SafetensorsWriter.write(file, Map.of(LatentScale.SCALE_KEY, Tensors.fromFloats(new float[]{2, 4}, 2)));
        }
        try (Weights w = Weights.open(file)) {
            var e = assertThrows(ModelLoadException.class, () -> LatentScale.fromDit(w, 2));
            assertTrue(e.getMessage().contains("missing tensor " + LatentScale.BIAS_KEY), e.getMessage());
        }
    }
}
