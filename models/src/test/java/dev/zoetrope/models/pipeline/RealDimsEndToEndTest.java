package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.video.ClipFiles;
import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;

/**
 * Random-weight checkpoints at the real dims (one DiT block, the real Wan 2.1 VAE, a one-layer T5 at width 4096)
 * through the whole pipeline. Slow on a CPU (minutes): run with {@code -Pslow}.
 */
@Tag("slow")
class RealDimsEndToEndTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    static RandomCheckpoints.Spec realSpec(ModelFamily family) {
        Path tok = RandomModelEndToEndTest.tokenizer();
        return new RandomCheckpoints.Spec(family.dit().withNumLayers(1), WanVaeConfig.wan21(), 1, 8, 256, tok,
                Tokenizers.load(tok).vocabSize(), DType.F32, 5);
    }

    /**
     * The Linum layout at 360p. The clip is 5 frames (4 fps for one second) rather than Linum's 49: on a two-core
     * CPU the real-width VAE needs minutes per latent frame at 360p.
     */
    @Test
    void linumLayoutGeneratesA360pClipThatDecodes() throws Exception {
        Path dir = tmp.resolve("linum-360p");
        RandomCheckpoints.linum(dir, realSpec(ModelFamily.LINUM), "360p", null);
        ModelDirectory model = ModelDirectory.detect(dir);
        TextToVideo.Parts p = ModelLoader.parts(model, WeightDtype.AUTO);
        ModelCapabilities c = p.capabilities();
        assertArrayEquals(new int[]{640, 360}, c.resolutions().get("360p"));
        ModelCapabilities fewFrames = new ModelCapabilities(c.family(), c.resolutions(), c.defaultResolution(), 1, 5, 1, 4,
                c.minSteps(), c.maxSteps(), c.defaultSteps(), c.defaultGuidance(), c.defaultNegativePrompt(), c.defaultSeed(),
                c.maxPromptTokens());
        Path mp4 = tmp.resolve("clip.mp4");
        TextToVideo.Parts parts = new TextToVideo.Parts(p.family(), fewFrames, p.shift(), p.text(), p.dit(), p.vae(), p.latentScale());
        try (TextToVideo g = new TextToVideo(parts, TextToVideo.Options.DEFAULT,
                ClipFiles.MP4_ONLY)) {
            GenerationResult r = g.generate(new GenerationRequest("a red fox in the snow", null, "360p", 1.0, 20L, null, 2),
                    mp4, GenerationListener.NONE);
            assertEquals(5, r.frames());
        }
        // read back through the project's own FFmpeg libraries (nothing system-wide)
        dev.zoetrope.video.VideoInfo info = dev.zoetrope.video.VideoProbe.probe(mp4);
        assertEquals("h264", info.codec());
        assertEquals(640, info.width());
        assertEquals(360, info.height());
        assertEquals(5, info.frameCount());
        try (dev.zoetrope.video.VideoReader reader = dev.zoetrope.video.VideoReader.open(mp4)) {
            int decoded = 0;
            while (reader.next() != null) decoded++;
            assertEquals(5, decoded, "every frame decodes");
        }
    }

    @Test
    void wanLayoutsGiveIdenticalClipsAtRealDims() throws IOException {
        RandomCheckpoints.Spec spec = realSpec(ModelFamily.WAN);
        Path original = tmp.resolve("wan"), diffusers = tmp.resolve("wan-diffusers");
        RandomCheckpoints.wanOriginal(original, spec);
        RandomCheckpoints.wanDiffusers(diffusers, spec);
        List<byte[]> a = clip(ModelDirectory.detect(original)), b = clip(ModelDirectory.detect(diffusers));
        assertEquals(5, a.size());
        assertEquals(160 * 96 * 3, a.getFirst().length);
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i), "frame " + i);
    }

    /**
     * The step cache at the real Linum dims: off, it changes nothing (bit-identical frames); on, it reports its skips.
     * With a threshold no change reaches, every step but the first and last reuses the residual: of 5 batched
     * guided steps (10 forwards), 6 are skipped.
     */
    @Test
    void stepCacheAtRealLinumDims() throws IOException {
        Path dir = tmp.resolve("linum-360p");
        RandomCheckpoints.linum(dir, realSpec(ModelFamily.LINUM), "360p", null);
        ModelDirectory model = ModelDirectory.detect(dir);
        Clip plain = clip(model, TextToVideo.Options.DEFAULT, 5), off = clip(model, TextToVideo.Options.DEFAULT.withCache(Double.NaN), 5);
        for (int i = 0; i < plain.frames().size(); i++) assertArrayEquals(plain.frames().get(i), off.frames().get(i), "frame " + i);
        assertEquals(10, off.result().ditForwards());
        assertEquals(0, off.result().skippedForwards());
        Clip cached = clip(model, TextToVideo.Options.DEFAULT.withCache(50), 5);
        assertEquals(6, cached.result().skippedForwards());
        assertEquals(4, cached.result().ditForwards());
        assertEquals(plain.frames().size(), cached.frames().size());
    }

    record Clip(List<byte[]> frames, GenerationResult result) {}

    /** A 5-frame 160×96 clip in 2 steps (small frames: the point is the layouts, at the real model dims). */
    static List<byte[]> clip(ModelDirectory dir) {
        return clip(dir, TextToVideo.Options.DEFAULT, 2).frames();
    }

    static Clip clip(ModelDirectory dir, TextToVideo.Options options, int steps) {
        TextToVideo.Parts p = ModelLoader.parts(dir, WeightDtype.AUTO);
        ModelCapabilities c = p.capabilities();
        ModelCapabilities shortClips = new ModelCapabilities(c.family(), java.util.Map.of("96p", new int[]{160, 96}), "96p",
                0.25, c.maxSeconds(), c.defaultSeconds(), c.fps(), c.minSteps(), c.maxSteps(), c.defaultSteps(),
                c.defaultGuidance(), c.defaultNegativePrompt(), c.defaultSeed(), c.maxPromptTokens());
        RandomModelEndToEndTest.Frames out = new RandomModelEndToEndTest.Frames();
        TextToVideo.Parts parts = new TextToVideo.Parts(p.family(), shortClips, p.shift(), p.text(), p.dit(), p.vae(), p.latentScale());
        GenerationResult result;
        try (TextToVideo g = new TextToVideo(parts, options, (mp4, w, h, fps) -> out)) {
            result = g.generate(new GenerationRequest("a cat surfing", null, "96p", 0.25, 1L, 5.0, steps), Path.of("unused.mp4"),
                    GenerationListener.NONE);
        }
        return new Clip(out.frames, result);
    }
}
