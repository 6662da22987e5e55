package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * Fresh models (to train, or to measure) are built on the chosen device tensor by tensor, every weight drawn on the host
 * from the seed: libtorch's meta device stands in for a GPU.
 */
class FreshModelsOnDeviceTest {
    static final Device META = new Device("meta");
    static final DitConfig DIT = new DitConfig(ModelFamily.LINUM, 32, 64, 2, 2, 32, 16, 8, 4, 4, new DitConfig.PatchSize(1, 2, 2),
            1e-5, 1e-6, false, false, true, true, true, true);
    static final T5Config TEXT = new T5Config(16, 8, 32, 2, 2, 8, 16, "gated-gelu", 1e-6, 40, false);
    static final WanVaeConfig VAE = new WanVaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));

    static void allOnMeta(String model, Map<String, Tensor> params, boolean trainable) {
        assertFalse(params.isEmpty(), model);
        for (var e : params.entrySet()) {
            Tensor t = e.getValue();
            assertTrue(t.is_meta(), model + " " + e.getKey() + " is on meta");
            assertEquals(trainable, t.requires_grad(), model + " " + e.getKey());
            assertTrue(t.is_leaf(), model + " " + e.getKey() + " is a leaf, so its gradient stays with it");
        }
    }

    @Test
    void trainableAndRandomModelsAreBuiltOnTheDevice() {
        Engine.init();
        try (DiffusionTransformer dit = DiffusionTransformer.trainable(DIT, 1, Attention.Options.defaults(), META);
             DiffusionTransformer bench = DiffusionTransformer.random(DIT, DType.BF16, 1, Attention.Options.defaults(), META);
             T5Encoder text = T5Encoder.random(TEXT, 0.02, 2, DType.F32, true, META);
             WanVae vae = WanVae.trainable(VAE, 3, META);
             WanVae random = WanVae.random(VAE, 3, META)) {
            allOnMeta("dit", dit.parameters(), true);
            allOnMeta("random dit", bench.parameters(), false);
            assertEquals(DType.BF16, Tensors.dtype(bench.parameters().get("head.head.weight")), "cast before it moves");
            allOnMeta("text", text.parameters(), true);
            allOnMeta("vae", vae.params().loaded(), true);
            allOnMeta("random vae", random.params().loaded(), false);
        }
    }

    /**
     * The weights are drawn from the host's generator whatever the device, so a seed gives the same model everywhere:
     * building on meta consumes exactly the host draws that building on the CPU does.
     */
    @Test
    void aSeedDrawsTheSameHostNumbersOnEveryDevice() {
        Engine.init();
        List<Supplier<AutoCloseable>> onCpu = List.of(
                () -> DiffusionTransformer.trainable(DIT, 1, Attention.Options.defaults()),
                () -> T5Encoder.random(TEXT, 0.02, 2, DType.F32, true),
                () -> WanVae.trainable(VAE, 3));
        List<Supplier<AutoCloseable>> onMeta = List.of(
                () -> DiffusionTransformer.trainable(DIT, 1, Attention.Options.defaults(), META),
                () -> T5Encoder.random(TEXT, 0.02, 2, DType.F32, true, META),
                () -> WanVae.trainable(VAE, 3, META));
        for (int i = 0; i < onCpu.size(); i++)
            assertEquals(nextHostDraw(onCpu.get(i)), nextHostDraw(onMeta.get(i)), "model " + i);
    }

    /** The host generator's next number after building a model. */
    static float nextHostDraw(Supplier<AutoCloseable> build) {
        try (AutoCloseable model = build.get(); PointerScope s = new PointerScope()) {
            return Tensors.toFloats(torch.randn(1))[0];
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
