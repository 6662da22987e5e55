package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.sampling.NoiseGenerator;
import dev.zoetrope.models.sampling.StepCache;

/** The step cache and unguided sampling on the shipped model: what they skip, and that off changes nothing. */
class FastSamplingTest {
    static final String PROMPT = "a red circle moving left on a black background";

    record Clip(List<byte[]> frames, GenerationResult result) {}

    static Clip generate(TextToVideo.Options options, Double guidance) {
        ModelDirectory dir = ModelLoaderDeviceTest.tiny();
        RandomModelEndToEndTest.Frames frames = new RandomModelEndToEndTest.Frames();
        GenerationResult r;
        try (TextToVideo g = new TextToVideo(ModelLoader.parts(dir, WeightDtype.AUTO, ComputeDevice.CPU), options,
                (mp4, w, h, fps) -> frames)) {
            r = g.generate(new GenerationRequest(PROMPT, null, null, null, 20L, guidance, null), Path.of("unused.mp4"),
                    GenerationListener.NONE);
        }
        return new Clip(frames.frames, r);
    }

    @Test
    void theCacheOffChangesNothingAndOnSkipsForwards() {
        Clip plain = generate(TextToVideo.Options.DEFAULT, null);
        Clip off = generate(TextToVideo.Options.DEFAULT.withCache(Double.NaN), null);
        assertEquals(60, plain.result().ditForwards(), "30 steps × (cond + null)");
        for (int i = 0; i < 17; i++) assertArrayEquals(plain.frames().get(i), off.frames().get(i), "frame " + i);
        Clip cached = generate(TextToVideo.Options.DEFAULT.withCache(StepCache.AUTO), null);
        assertTrue(cached.result().skippedForwards() > 0 && cached.result().skippedForwards() % 2 == 0,
                "batched guidance skips both branches of a step: " + cached.result());
        assertEquals(60, cached.result().ditForwards() + cached.result().skippedForwards());
        boolean differs = false;
        for (int i = 0; i < 17; i++) differs |= !java.util.Arrays.equals(plain.frames().get(i), cached.frames().get(i));
        assertTrue(differs, "reusing residuals changes the clip a little");
        // with the two branches as separate forwards, each has its own cache and skips the same steps
        Clip separate = generate(new TextToVideo.Options(false, false, null, Double.NaN).withCache(StepCache.AUTO), null);
        assertEquals(cached.result().skippedForwards(), separate.result().skippedForwards());
    }

    @Test
    void guidanceThatIgnoresTheNullPredictionRunsOneForwardPerStep() {
        Clip unguided = generate(TextToVideo.Options.DEFAULT, 0.0);
        assertEquals(30, unguided.result().ditForwards(), "APG at scale 0: the conditional forward only");
        assertEquals(17, unguided.frames().size());
    }

    /** A forward that reuses the residual gives what the blocks gave for the same input. */
    @Test
    void aReusedResidualReproducesTheComputedForward() {
        ModelDirectory dir = ModelLoaderDeviceTest.tiny();
        try (PointerScope scope = new PointerScope();
             DiffusionTransformer dit = DiffusionTransformer.load(dir.ditWeights(),
                     dev.zoetrope.models.dit.DitLoadOptions.defaults().withOverrides(dir.ditSettings()));
             StepCache cache = new StepCache(0.5, 3)) {
            var c = dit.config();
            Tensor x = new NoiseGenerator(1).gaussian(new long[]{1, c.inDim(), 5, 8, 8});
            Tensor text = new NoiseGenerator(2).gaussian(new long[]{4, c.textDim()});
            Tensor computed = dit.forward(x, new double[]{500}, List.of(text), null, cache);
            Tensor reused = dit.forward(x, new double[]{500}, List.of(text), null, cache);
            assertEquals(1, cache.skipped());
            assertEquals(1, cache.computed());
            double diff = reused.sub(computed).abs().max().item_double();
            assertTrue(diff < 1e-5, "x + (blocks(x) − x) = blocks(x) up to rounding: " + diff);
        }
    }
}
