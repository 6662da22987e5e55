package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/** The memory plan's arithmetic; {@link PipelineOnMetaTest} checks it against a run, {@link MemoryPlanMeasuredTest} against RAM. */
class MemoryPlanTest {
    @BeforeAll
    static void engine() {
        Engine.init();
    }

    static MemoryPlan linum720p5s(DType dtype, Offload offload, boolean fused) {
        return MemoryPlan.of(new MemoryPlan.Setup(ModelFamily.LINUM, ModelFamily.LINUM.dit(), T5Config.t5v11Xxl(), 256,
                WanVaeConfig.wan21(), 1280, 720, 121, dtype, offload, true, fused, VaeDecoder.DEFAULT_TILING,
                Attention.Options.DEFAULT_WORKSPACE));
    }

    @Test
    void float32WeightsAreFourBytesPerDeclaredParameter() {
        DitConfig dit = ModelFamily.LINUM.dit();
        assertEquals(4 * numel(DiffusionTransformer.declared(dit)), DiffusionTransformer.weightBytes(dit, DType.F32));
        assertEquals(4 * numel(T5Encoder.declared(T5Config.umt5Xxl())), T5Encoder.weightBytes(T5Config.umt5Xxl(), DType.F32));
        assertEquals(4 * numel(WanVae.declared(WanVaeConfig.wan21())), WanVae.weightBytes(WanVaeConfig.wan21()));
        // bf16 halves the matrices; the float32 norms, modulation and time embedding are kept beside them as copies
        long bf16 = DiffusionTransformer.weightBytes(dit, DType.BF16);
        assertTrue(bf16 > 2 * numel(DiffusionTransformer.declared(dit)) && bf16 < 2.2 * numel(DiffusionTransformer.declared(dit)), "" + bf16);
        assertEquals(DiffusionTransformer.weightBytes(dit, DType.F32),
                dit.numLayers() * DiffusionTransformer.blockWeightBytes(dit, DType.F32) + 4 * numel(DiffusionTransformer.declared(dit).stream()
                        .filter(d -> !d.key().startsWith("blocks.")).toList()), "blocks and the rest add up");
    }

    @Test
    void offloadTradesDeviceMemoryForHostMemory() {
        MemoryPlan none = linum720p5s(DType.BF16, Offload.NONE, true);
        MemoryPlan model = linum720p5s(DType.BF16, Offload.MODEL, true);
        MemoryPlan sequential = linum720p5s(DType.BF16, Offload.SEQUENTIAL, true);
        long vae = WanVae.weightBytes(WanVaeConfig.wan21());
        long dit = DiffusionTransformer.weightBytes(ModelFamily.LINUM.dit(), DType.BF16);
        long block = DiffusionTransformer.blockWeightBytes(ModelFamily.LINUM.dit(), DType.BF16);
        assertEquals(dit + vae, none.stage(MemoryPlan.DENOISE).deviceWeights(), "none: the VAE waits on the device");
        assertEquals(dit, model.stage(MemoryPlan.DENOISE).deviceWeights(), "model: one model at a time");
        assertEquals(dit - 39 * block, sequential.stage(MemoryPlan.DENOISE).deviceWeights(), "sequential: one of 40 blocks");
        assertEquals(40 * block, sequential.stage(MemoryPlan.DENOISE).hostBytes(), "the blocks wait on the host");
        assertEquals(0, model.stage(MemoryPlan.DENOISE).hostBytes());
        assertTrue(none.devicePeak() > model.devicePeak() && model.devicePeak() > sequential.devicePeak());
        // activations are the same in every mode
        assertEquals(none.stage(MemoryPlan.DENOISE).deviceActivations(), sequential.stage(MemoryPlan.DENOISE).deviceActivations());
    }

    @Test
    void activationsScaleWithTheClipAndTheChunkedScoresAreCounted() {
        MemoryPlan fused = linum720p5s(DType.BF16, Offload.MODEL, true);
        MemoryPlan chunked = linum720p5s(DType.BF16, Offload.MODEL, false);
        assertTrue(chunked.stage(MemoryPlan.DENOISE).deviceActivations() >= fused.stage(MemoryPlan.DENOISE).deviceActivations());
        MemoryPlan.Setup s = fused.setup();
        assertEquals(111_600, s.tokens(), "31 latent frames of 45×80 patches");
        MemoryPlan.Setup unbatched = new MemoryPlan.Setup(s.family(), s.dit(), s.text(), s.textTokens(), s.vae(), s.width(), s.height(),
                s.frames(), s.dtype(), s.offload(), false, true, s.tiling(), s.attentionWorkspace());
        double ratio = MemoryPlan.ditForwardPeak(s) / (double) MemoryPlan.ditForwardPeak(unbatched);
        assertTrue(ratio > 1.9 && ratio < 2.0, "guidance one by one halves the token activations, not the text: " + ratio);
        MemoryPlan untiled = MemoryPlan.of(new MemoryPlan.Setup(s.family(), s.dit(), s.text(), s.textTokens(), s.vae(), s.width(),
                s.height(), s.frames(), s.dtype(), s.offload(), true, true, null, s.attentionWorkspace()));
        assertTrue(untiled.stage(MemoryPlan.DECODE).deviceActivations() > 3 * fused.stage(MemoryPlan.DECODE).deviceActivations(),
                "tiles bound the decode");
    }

    @Test
    void fitsLeavesHeadroom() {
        MemoryPlan p = linum720p5s(DType.BF16, Offload.MODEL, true);
        long peak = p.devicePeak();
        assertTrue(p.fits((long) Math.ceil(peak / (1 - MemoryPlan.HEADROOM)) + 1));
        assertFalse(p.fits(peak));
        String report = p.report(24_000_000_000L, 80_000_000_000L);
        assertTrue(report.contains("24.00 GB device: ") && report.contains("80.00 GB device: fits"), report);
    }

    private static long numel(List<Params.Declared> declared) {
        long n = 0;
        for (Params.Declared d : declared) {
            long e = 1;
            for (long x : d.shape()) e *= x;
            n += e;
        }
        return n;
    }
}
