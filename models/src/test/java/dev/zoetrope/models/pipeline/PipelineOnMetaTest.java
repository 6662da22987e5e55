package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * The whole pipeline — tokenizer → T5-XXL → DiT loop (scheduler + guidance) → VAE decode → frames — of every family at
 * the released sizes, on libtorch's {@code meta} device: every tensor the pipeline makes must live where the weights
 * do (a host tensor mixed in is refused), and the shapes come out right, in milliseconds, without a GPU.
 */
class PipelineOnMetaTest {
    @BeforeAll
    static void engine() {
        Engine.init();
    }

    record Case(String name, ModelFamily family, DitConfig dit, T5Config text, String resolution, double seconds, int frames,
                int width, int height) {}

    static final DitConfig WAN_14B = new DitConfig(ModelFamily.WAN, 5120, 13824, 40, 40, 256, 4096, 512, 16, 16,
            new DitConfig.PatchSize(1, 2, 2), 1e-6, 1e-6, true, true, false, true, true, false);

    static final List<Case> CASES = List.of(
            new Case("Linum v2 360p", ModelFamily.LINUM, ModelFamily.LINUM.dit(), T5Config.t5v11Xxl(), "360p", 2, 49, 640, 360),
            new Case("Linum v2 720p", ModelFamily.LINUM, ModelFamily.LINUM.dit(), T5Config.t5v11Xxl(), "720p", 2, 49, 1280, 720),
            new Case("Wan 2.1 1.3B", ModelFamily.WAN, ModelFamily.WAN.dit(), T5Config.umt5Xxl(), "480p", 5.0625, 81, 832, 480),
            new Case("Wan 2.1 14B", ModelFamily.WAN, WAN_14B, T5Config.umt5Xxl(), "720p", 5.0625, 81, 1280, 720));

    @Test
    void everyFamilyRunsWholeOnMetaAtTheReleasedSizes() {
        Path spiece = Path.of(System.getProperty("zoetrope.fixtures")).resolve("t5-tiny/spiece.model");
        for (Case c : CASES) {
            LatentScale scale = c.family() == ModelFamily.WAN ? LatentScale.wan21() : new LatentScale(ones(16), new float[16]);
            TextToVideo.Parts parts = new TextToVideo.Parts(c.family(), c.family().capabilities(c.resolution()), c.family().shift(),
                    () -> new T5PromptEncoder(Tokenizers.load(spiece, c.dit().textLen()), T5Encoder.onMeta(c.text(), DType.BF16),
                            c.family() == ModelFamily.WAN),
                    () -> new DitVelocity(DiffusionTransformer.onMeta(c.dit(), DType.BF16)),
                    () -> new VaeDecoder(WanVae.onMeta(WanVaeConfig.wan21()), VaeDecoder.DEFAULT_TILING),
                    scale);
            RandomModelEndToEndTest.Frames frames = new RandomModelEndToEndTest.Frames();
            try (TextToVideo g = new TextToVideo(parts, TextToVideo.Options.DEFAULT, (mp4, w, h, fps) -> frames)) {
                GenerationResult r = g.generate(new GenerationRequest("a red fox running through snow", null, c.resolution(),
                        c.seconds(), 1L, null, 2), Path.of("unused.mp4"), GenerationListener.NONE);
                assertEquals(c.frames(), r.frames(), c.name());
            }
            assertTrue(frames.finished, c.name());
            assertEquals(c.frames(), frames.frames.size(), c.name() + ": every frame reached the host");
            assertEquals(c.width() * c.height() * 3, frames.frames.getFirst().length, c.name() + ": frame size");
        }
    }

    static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }
}
