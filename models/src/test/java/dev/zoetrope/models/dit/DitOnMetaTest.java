package dev.zoetrope.models.dit;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.ModelFamily;

/**
 * The DiT at the released sizes on libtorch's {@code meta} device: shapes and dtypes without data, so the released
 * configs run whole in milliseconds, and a tensor made on another device than the weights' is caught. The first step
 * of proving placement without a GPU.
 */
class DitOnMetaTest {
    static Tensor meta(DType dtype, long... shape) {
        return torch.empty(shape, new TensorOptions(new Device("meta")).dtype(new ScalarTypeOptional(dtype.scalarType())),
                new MemoryFormatOptional());
    }

    /** The released DiTs at their clip sizes: latents (16, 1 + (frames−1)/4, H/8, W/8). */
    record Case(String name, DitConfig config, long frames, long height, long width) {}

    static final DitConfig WAN_14B = new DitConfig(ModelFamily.WAN, 5120, 13824, 40, 40, 256, 4096, 512, 16, 16,
            new DitConfig.PatchSize(1, 2, 2), 1e-6, 1e-6, true, true, false, true, true, false);

    static final List<Case> CASES = List.of(
            new Case("Linum v2 360p, 2 s", ModelFamily.LINUM.dit(), 49, 360, 640),
            new Case("Linum v2 720p, 2 s", ModelFamily.LINUM.dit(), 49, 720, 1280),
            new Case("Wan 2.1 1.3B 480p, 81 frames", ModelFamily.WAN.dit(), 81, 480, 832),
            new Case("Wan 2.1 14B 720p, 81 frames", WAN_14B, 81, 720, 1280));

    @Test
    void everyReleasedDitRunsWholeOnMeta() {
        for (Case c : CASES)
            try (DiffusionTransformer dit = DiffusionTransformer.onMeta(c.config(), DType.BF16); PointerScope scope = new PointerScope()) {
                long f = 1 + (c.frames() - 1) / 4, h = c.height() / 8, w = c.width() / 8;
                Tensor x = meta(DType.F32, 2, 16, f, h, w);
                List<Tensor> text = List.of(meta(DType.F32, 20, 4096), meta(DType.F32, 7, 4096));
                Tensor v = dit.forward(x, new double[]{999, 999}, text, null);
                assertTrue(v.is_meta(), c.name());
                assertArrayEquals(new long[]{2, 16, f, h, w}, Tensors.shape(v), c.name() + ": velocity shape");
                assertEquals(DType.F32, Tensors.dtype(v), c.name() + ": the velocity comes back in float32");
                assertEquals(c.config().numLayers(), dit.config().numLayers());
            }
    }

    @Test
    void aTensorOnAnotherDeviceThanTheWeightsIsCaught() {
        try (DiffusionTransformer dit = DiffusionTransformer.onMeta(ModelFamily.WAN.dit().withNumLayers(1), DType.BF16);
             PointerScope scope = new PointerScope()) {
            Tensor x = meta(DType.F32, 1, 16, 1, 60, 104);
            Tensor hostText = torch.zeros(5, 4096);   // text states left on the host
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> dit.forward(x, new double[]{500}, List.of(hostText), null));
            assertTrue(e.getMessage().contains("same device") && e.getMessage().contains("meta") && e.getMessage().contains("cpu"),
                    e.getMessage());
        }
    }
}
