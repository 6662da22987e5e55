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
import dev.zoetrope.models.nn.Attention;
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

    static final DitConfig WAN_14B = ModelFamily.wan14b();

    static final List<Case> CASES = List.of(
            new Case("Linum v2 360p", ModelFamily.LINUM, ModelFamily.LINUM.dit(), T5Config.t5v11Xxl(), "360p", 2, 49, 640, 360),
            new Case("Linum v2 720p", ModelFamily.LINUM, ModelFamily.LINUM.dit(), T5Config.t5v11Xxl(), "720p", 2, 49, 1280, 720),
            new Case("Wan 2.1 1.3B", ModelFamily.WAN, ModelFamily.WAN.dit(), T5Config.umt5Xxl(), "480p", 5.0625, 81, 832, 480),
            new Case("Wan 2.1 14B", ModelFamily.WAN, WAN_14B, T5Config.umt5Xxl(), "720p", 5.0625, 81, 1280, 720));

    /**
     * Also checks the memory plan against the run: the weights it counts are the bytes of the models the pipeline ran
     * with, and the latents and text states it plans for are the ones the DiT was given.
     */
    @Test
    void everyFamilyRunsWholeOnMetaAtTheReleasedSizes() {
        Path spiece = Path.of(System.getProperty("zoetrope.fixtures")).resolve("t5-tiny/spiece.model");
        for (Case c : CASES) {
            LatentScale scale = c.family() == ModelFamily.WAN ? LatentScale.wan21() : new LatentScale(ones(16), new float[16]);
            long[] seen = new long[5]; // T5 bytes, DiT bytes, VAE bytes, latent elements, text tokens
            TextToVideo.Parts parts = new TextToVideo.Parts(c.family(), c.family().capabilities(c.resolution()), c.family().shift(),
                    () -> {
                        T5Encoder t5 = T5Encoder.onMeta(c.text(), DType.BF16);
                        seen[0] = t5.params().residentBytes();
                        return new T5PromptEncoder(Tokenizers.load(spiece, c.dit().textLen()), t5, c.family() == ModelFamily.WAN);
                    },
                    () -> {
                        DiffusionTransformer dit = DiffusionTransformer.onMeta(c.dit(), DType.BF16);
                        seen[1] = dit.params().residentBytes();
                        return new Recording(new DitVelocity(dit), seen);
                    },
                    () -> {
                        WanVae vae = WanVae.onMeta(WanVaeConfig.wan21());
                        seen[2] = vae.params().residentBytes();
                        return new VaeDecoder(vae, VaeDecoder.DEFAULT_TILING);
                    },
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

            MemoryPlan plan = MemoryPlan.of(new MemoryPlan.Setup(c.family(), c.dit(), c.text(), c.dit().textLen(), WanVaeConfig.wan21(),
                    c.width(), c.height(), c.frames(), DType.BF16, Offload.MODEL, true, true, VaeDecoder.DEFAULT_TILING,
                    Attention.Options.DEFAULT_WORKSPACE));
            assertEquals(seen[0], plan.stage(MemoryPlan.TEXT).deviceWeights(), c.name() + ": text encoder weights");
            assertEquals(seen[1], plan.stage(MemoryPlan.DENOISE).deviceWeights(), c.name() + ": DiT weights");
            assertEquals(seen[2], plan.stage(MemoryPlan.DECODE).deviceWeights(), c.name() + ": VAE weights");
            assertEquals(seen[3] * 4, 2 * MemoryPlan.latentBytes(plan.setup()), c.name() + ": the batch-2 latents the DiT saw");
            assertTrue(seen[4] > 0 && seen[4] <= plan.setup().textTokens(), c.name() + ": the DiT saw " + seen[4] + " text tokens, the plan "
                    + "counts " + plan.setup().textTokens());
        }
    }

    /** The DiT as the sampler drives it, noting the latents and text it is given. */
    record Recording(VelocityModel model, long[] seen) implements VelocityModel {
        @Override
        public org.bytedeco.pytorch.Tensor velocity(org.bytedeco.pytorch.Tensor x, double timestep, List<org.bytedeco.pytorch.Tensor> contexts) {
            seen[3] = x.numel();
            seen[4] = Math.max(seen[4], contexts.getFirst().size(0));
            return model.velocity(x, timestep, contexts);
        }

        @Override
        public org.bytedeco.pytorch.Tensor onModelDevice(org.bytedeco.pytorch.Tensor host) {
            return model.onModelDevice(host);
        }

        @Override
        public void close() {
            model.close();
        }
    }

    static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }
}
