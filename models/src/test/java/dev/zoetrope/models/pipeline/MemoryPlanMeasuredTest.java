package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.bench.ProcessMemory;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.sampling.NoiseGenerator;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * The memory plan's activation figures against what a real pass takes on the CPU: the process's peak resident set
 * (VmHWM, reset just before) over its resident set before the pass, at the released widths with one DiT block. Large
 * tensors are mapped and unmapped by the allocator one by one, so the resident set follows the live tensors.
 */
@Tag("slow")
class MemoryPlanMeasuredTest {
    @BeforeAll
    static void engine() {
        Engine.init();
    }

    @Test
    void ditForwardPeakIsWhatAForwardTakes() {
        DitConfig oneBlock = ModelFamily.LINUM.dit().withOverrides(dev.zoetrope.core.config.Json.CONFIG.createObjectNode().put("num_layers", 1));
        int latentFrames = 5;
        MemoryPlan.Setup s = new MemoryPlan.Setup(ModelFamily.LINUM, oneBlock, T5Config.t5v11Xxl(), 256, WanVaeConfig.wan21(), 640, 360,
                (latentFrames - 1) * 4 + 1, DType.BF16, Offload.NONE, true, false, VaeDecoder.DEFAULT_TILING,
                Attention.Options.DEFAULT_WORKSPACE);
        long planned = MemoryPlan.ditForwardPeak(s);
        try (DiffusionTransformer dit = DiffusionTransformer.random(oneBlock, DType.BF16, 1,
                Attention.Options.defaults().withKernel(Attention.Kernel.CHUNKED))) {
            Tensor x = new NoiseGenerator(1).gaussian(new long[]{2, 16, latentFrames, 45, 80});
            Tensor text = new NoiseGenerator(2).gaussian(new long[]{256, 4096});
            long measured = measure(() -> Scopes.run(() -> dit.forward(x, new double[]{500, 500}, List.of(text, text), null)));
            assertEquals(planned, measured, 0.2 * planned, "DiT forward: planned " + MemoryPlan.gb(planned) + ", measured " + MemoryPlan.gb(measured));
        }
    }

    @Test
    void decodePeakIsWhatADecodeTakes() {
        int h = 32, w = 32;
        long planned = MemoryPlan.VAE_LIVE_FACTOR * WanVae.largestDecodeOutput(WanVaeConfig.wan21(), h, w) * 4;
        try (WanVae vae = WanVae.random(WanVaeConfig.wan21(), 1)) {
            Tensor z = new NoiseGenerator(1).gaussian(new long[]{1, 16, 2, h, w});
            long measured = measure(() -> vae.decode(z, null, (frames, first) -> {}));
            assertEquals(planned, measured, 0.2 * planned, "VAE decode: planned " + MemoryPlan.gb(planned) + ", measured " + MemoryPlan.gb(measured));
        }
    }

    private static long measure(Runnable pass) {
        System.gc();
        long before = ProcessMemory.resident();
        ProcessMemory.resetPeak();
        pass.run();
        long peak = ProcessMemory.peak();
        assertTrue(before > 0 && peak > 0, "needs Linux's /proc/self/status");
        return peak - before;
    }
}
