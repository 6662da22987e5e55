package dev.zoetrope.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

class LatentNormalizationTest {
    @TempDir
    Path tmp;

    @Test
    void normalizesPerChannelAndInverts() {
        Engine.init();
        LatentNormalization n = LatentNormalization.wan21();
        assertEquals(16, n.channels());
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(1);
            Tensor z = torch.randn(2, 16, 3, 2, 2);
            Tensor x = n.normalize(z);
            float[] zf = Tensors.toFloats(z), xf = Tensors.toFloats(x);
            // element (b=1, c=5, t=2, h=1, w=0)
            int i = ((1 * 16 + 5) * 3 + 2) * 4 + 1 * 2;
            assertEquals((zf[i] - 0.9653f) / 1.7708f, xf[i], 1e-5);
            assertTrue(Tensors.maxAbsDiff(z, n.denormalize(x)) < 1e-5);
        }
    }

    @Test
    void readsDiffusersConfig() throws Exception {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, "{\"latents_mean\": [0.5, -1], \"latents_std\": [2, 4]}");
        LatentNormalization n = LatentNormalization.fromConfig(cfg);
        assertArrayEquals(new float[]{0.5f, -1f}, n.mean());
        assertArrayEquals(new float[]{2f, 4f}, n.std());
        Files.writeString(cfg, "{\"base_dim\": 96}");
        assertNull(LatentNormalization.fromConfig(cfg));
        Files.writeString(cfg, "{\"latents_mean\": [0.5, -1], \"latents_std\": [2, 0]}");
        var e = assertThrows(ConfigException.class, () -> LatentNormalization.fromConfig(cfg));
        assertTrue(e.getMessage().contains("positive"), e.getMessage());
    }
}
