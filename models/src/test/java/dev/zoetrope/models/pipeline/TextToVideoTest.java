package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.io.ClipWriter;
import dev.zoetrope.core.progress.GenerationCancelledException;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.sampling.FlowSchedule;
import dev.zoetrope.models.sampling.GuidedVelocity;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.vae.LatentScale;

/** The pipeline's orchestration with stand-in parts: memory plan, batching, cancellation, frame flow. */
class TextToVideoTest {
    static final ModelCapabilities CAPS = new ModelCapabilities("test", Map.of("tiny", new int[]{24, 16}), "tiny",
            2, 5, 2, 24, 1, 100, 3, 7.0, "", 20, 16);

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** A text encoder whose states depend on the prompt, and that records its life cycle. */
    static final class FakeText implements PromptEncoder {
        final List<String> events;

        FakeText(List<String> events) {
            this.events = events;
            events.add("text loaded");
        }

        @Override
        public Tensor encode(String prompt) {
            events.add("encode '" + prompt + "'");
            return torch.full(new long[]{prompt.length() + 1, 4}, Ops.scalar(0.1 * (prompt.length() + 1)));
        }

        @Override
        public void close() {
            events.add("text closed");
        }
    }

    /** v = x·0.5 + mean(context) per sample: elementwise, so batching cannot change it. */
    static final class FakeDit implements VelocityModel {
        final List<String> events;
        final AtomicInteger forwards = new AtomicInteger();

        FakeDit(List<String> events) {
            this.events = events;
            events.add("dit loaded");
        }

        @Override
        public Tensor velocity(Tensor x, double timestep, List<Tensor> contexts) {
            assertEquals(x.size(0), contexts.size());
            forwards.incrementAndGet();
            TensorVector parts = new TensorVector();
            for (int b = 0; b < contexts.size(); b++)
                parts.push_back(x.narrow(0, b, 1).mul(Ops.scalar(0.5)).add(contexts.get(b).mean()).add(Ops.scalar(timestep / 1000)));
            return torch.cat(parts, 0);
        }

        @Override
        public void close() {
            events.add("dit closed");
        }
    }

    /** Frames = the first 3 latent channels, nearest-upsampled 8×, first latent frame alone then 4 per frame. */
    static final class FakeVae implements LatentDecoder {
        final List<String> events;

        FakeVae(List<String> events) {
            this.events = events;
        }

        @Override
        public int latentChannels() {
            return 16;
        }

        @Override
        public int temporalFactor() {
            return 4;
        }

        @Override
        public int spatialFactor() {
            return 8;
        }

        @Override
        public void decode(Tensor latent, Frames sink, java.util.function.BooleanSupplier cancelled) {
            events.add("decode");
            int first = 0;
            for (int i = 0; i < latent.size(2); i++) {
                if (cancelled.getAsBoolean()) {
                    events.add("decode cancelled before latent frame " + i);
                    throw new GenerationCancelledException();
                }
                int n = i == 0 ? 1 : 4;
                Tensor f = latent.select(0, 0).narrow(0, 0, 3).narrow(1, i, 1).tanh()
                        .repeat_interleave(8, new org.bytedeco.pytorch.LongOptional(2), new org.bytedeco.pytorch.LongOptional()).repeat_interleave(8, new org.bytedeco.pytorch.LongOptional(3), new org.bytedeco.pytorch.LongOptional()).repeat(1, n, 1, 1);
                sink.accept(f, first);
                first += n;
            }
        }

        @Override
        public void close() {
            events.add("vae closed");
        }
    }

    static final class FakeWriter implements ClipWriter {
        final List<byte[]> frames = new ArrayList<>();
        boolean finished, aborted;

        @Override
        public void frame(byte[] rgb) {
            frames.add(rgb);
        }

        @Override
        public void finish() {
            finished = true;
        }

        @Override
        public void abort() {
            aborted = true;
        }
    }

    record Rig(TextToVideo generator, List<String> events, List<FakeWriter> writers, List<FakeDit> dits) {}

    static Rig rig(ModelFamily family, boolean batch) {
        List<String> events = new ArrayList<>();
        List<FakeWriter> writers = new ArrayList<>();
        List<FakeDit> dits = new ArrayList<>();
        TextToVideo.Parts parts = new TextToVideo.Parts(family, CAPS, family.shift(), () -> new FakeText(events), () -> {
            FakeDit d = new FakeDit(events);
            dits.add(d);
            return d;
        }, () -> new FakeVae(events), new LatentScale(ones(16), new float[16]));
        TextToVideo g = new TextToVideo(parts, new TextToVideo.Options(batch, false, null, Double.NaN), (mp4, w, h, fps) -> {
            assertEquals(24, w);
            assertEquals(16, h);
            FakeWriter fw = new FakeWriter();
            writers.add(fw);
            return fw;
        });
        return new Rig(g, events, writers, dits);
    }

    @Test
    void textEncoderIsFreedBeforeTheDitLoadsAndEveryFrameIsWritten() {
        Rig r = rig(ModelFamily.LINUM, true);
        List<Double> fractions = new ArrayList<>();
        GenerationResult res = r.generator().generate(new GenerationRequest("a cat", null, null, 2.0, 5L, null, null),
                Path.of("out.mp4"), (stage, fraction, eta) -> fractions.add(fraction));
        List<String> ev = r.events();
        assertEquals(List.of("text loaded", "encode 'a cat'", "encode ''", "text closed", "dit loaded"), ev.subList(0, 5));
        assertTrue(ev.indexOf("dit closed") < ev.indexOf("decode"), "the DiT is freed before decoding: " + ev);
        assertEquals(49, res.frames());
        FakeWriter w = r.writers().getFirst();
        assertEquals(49, w.frames.size());
        assertEquals(24 * 16 * 3, w.frames.getFirst().length);
        assertTrue(w.finished && !w.aborted);
        assertEquals(3, r.dits().getFirst().forwards.get(), "batched guidance: one forward per step");
        for (int i = 1; i < fractions.size(); i++) assertTrue(fractions.get(i) >= fractions.get(i - 1), fractions.toString());
        assertEquals(1.0, fractions.getLast());
        assertEquals(20, new GenerationPlan("p", "", "tiny", 24, 16, 2, 49, 24, 20, 7, 3).seed());
    }

    @Test
    void everyClipRecordsItsSeedAndSettingsInTheContainer(@org.junit.jupiter.api.io.TempDir Path dir) {
        List<String> events = new ArrayList<>();
        TextToVideo.Parts parts = new TextToVideo.Parts(ModelFamily.LINUM, CAPS, 2.5, () -> new FakeText(events),
                () -> new FakeDit(events), () -> new FakeVae(events), new LatentScale(ones(16), new float[16]), "fake-model");
        Path mp4 = dir.resolve("clip.mp4");
        GenerationResult res;
        try (TextToVideo g = new TextToVideo(parts, new TextToVideo.Options(true, false, null, Double.NaN).withCache(0.05),
                dev.zoetrope.video.ClipFiles.MP4_ONLY)) {
            res = g.generate(new GenerationRequest("a fox, \"quoted\" — été", null, null, 2.0, GenerationRequest.RANDOM_SEED, 6.5, 4),
                    mp4, GenerationListener.NONE);
        }
        assertTrue(res.resolved().seed() >= 0, "a random seed was drawn");
        assertEquals(res.resolved(), ClipMetadata.request(dev.zoetrope.video.VideoProbe.metadata(mp4)), "the recorded settings make the same request again");
        Map<String, String> tags = ClipMetadata.read(dev.zoetrope.video.VideoProbe.metadata(mp4));
        assertEquals("fake-model", tags.get("model"));
        assertEquals("linum", tags.get("family"));
        assertEquals("2.5", tags.get("shift"), "the model's own shift");
        assertEquals("euler", tags.get("sampler"));
        assertEquals("tiny (24x16)", tags.get("resolution"));
        assertEquals("49", tags.get("frames"));
        assertEquals("24", tags.get("fps"));
        assertEquals("0.05", tags.get("step_cache"));
        assertEquals("", tags.get("loras"));
        assertEquals(dev.zoetrope.core.BuildInfo.version(), tags.get("version"));
        assertFalse(tags.get("version").contains("${"), "the version is filled in by the build: " + tags.get("version"));
    }

    @Test
    void batchedGuidanceEqualsSeparateForwards() {
        try (PointerScope scope = new PointerScope()) {
            List<String> events = new ArrayList<>();
            FakeDit dit = new FakeDit(events);
            Tensor x = Tensors.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 1, 1, 1, 2, 3);
            Tensor cond = torch.full(new long[]{3, 4}, Ops.scalar(0.7)), uncond = torch.full(new long[]{1, 4}, Ops.scalar(-0.2));
            GuidedVelocity.Prediction a = TextToVideo.guided(dit, cond, uncond, true).predict(x, 500);
            GuidedVelocity.Prediction b = TextToVideo.guided(dit, cond, uncond, false).predict(x, 500);
            assertEquals(0.0, Tensors.maxAbsDiff(a.cond(), b.cond()));
            assertEquals(0.0, Tensors.maxAbsDiff(a.uncond(), b.uncond()));
            assertTrue(Tensors.maxAbsDiff(a.cond(), a.uncond()) > 0.5);
        }
    }

    @Test
    void batchedAndSeparateRunsGiveTheSameVideo() {
        Rig batched = rig(ModelFamily.WAN, true), separate = rig(ModelFamily.WAN, false);
        GenerationRequest req = new GenerationRequest("waves", "blur", null, 2.0, 3L, 5.0, 4);
        batched.generator().generate(req, Path.of("a.mp4"), GenerationListener.NONE);
        separate.generator().generate(req, Path.of("b.mp4"), GenerationListener.NONE);
        assertEquals(8, separate.dits().getFirst().forwards.get());
        List<byte[]> fa = batched.writers().getFirst().frames, fb = separate.writers().getFirst().frames;
        assertEquals(fa.size(), fb.size());
        for (int i = 0; i < fa.size(); i++) assertArrayEquals(fa.get(i), fb.get(i), "frame " + i);
    }

    /** A listener that asks to cancel once the first unit of {@code cancelStage} is done. */
    static GenerationListener cancelAfterFirst(String cancelStage) {
        AtomicBoolean stop = new AtomicBoolean();
        return new GenerationListener() {
            @Override
            public void progress(String stage, double fraction, double eta) {}

            @Override
            public void stageStep(String stage, long done, long total) {
                if (stage.equals(cancelStage) && done == 1) stop.set(true);
            }

            @Override
            public boolean cancelled() {
                return stop.get();
            }
        };
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    @Test
    void theScheduleUsesTheModelsShiftUnlessTheOptionsGiveOne() {
        TextToVideo.Parts own = new TextToVideo.Parts(ModelFamily.LINUM, CAPS, 1.0, () -> null, () -> null, () -> null,
                new LatentScale(ones(16), new float[16]));
        TextToVideo.Options unset = new TextToVideo.Options(true, false, null, Double.NaN);
        TextToVideo.Options given = new TextToVideo.Options(true, false, null, 3.0);
        FlowSchedule atOne = FlowSchedule.shiftedEuler(10, 1.0, 1000), atThree = FlowSchedule.shiftedEuler(10, 3.0, 1000);
        assertArrayEquals(atOne.sigmas(), new TextToVideo(own, unset, null).schedule(10).sigmas());
        assertArrayEquals(atThree.sigmas(), new TextToVideo(own, given, null).schedule(10).sigmas());
        assertTrue(atOne.sigma(5) < atThree.sigma(5) - 0.1, "the shifts give different schedules");
    }

    @Test
    void cancellingStopsBetweenStepsAndWritesNothing() {
        Rig r = rig(ModelFamily.LINUM, true);
        GenerationListener listener = cancelAfterFirst(TextToVideo.STAGE_DENOISE);
        assertThrows(GenerationCancelledException.class,
                () -> r.generator().generate(GenerationRequest.of("a dog"), Path.of("x.mp4"), listener));
        assertTrue(r.writers().isEmpty(), "no output is opened after a cancel");
        assertEquals(1, r.dits().getFirst().forwards.get());
        assertTrue(r.events().contains("dit closed"), "the DiT is freed on cancel: " + r.events());
    }

    @Test
    void cancellingDuringTheDecodeReachesTheDecoderAndDiscardsTheOutput() {
        Rig r = rig(ModelFamily.LINUM, true);
        GenerationListener listener = cancelAfterFirst(TextToVideo.STAGE_DECODE);
        assertThrows(GenerationCancelledException.class,
                () -> r.generator().generate(GenerationRequest.of("a dog"), Path.of("x.mp4"), listener));
        assertTrue(r.events().contains("decode cancelled before latent frame 1"), "the decoder stops itself: " + r.events());
        FakeWriter w = r.writers().getFirst();
        assertEquals(1, w.frames.size(), "only the first latent frame was decoded");
        assertTrue(w.aborted && !w.finished, "the clip is discarded");
    }

    @Test
    void badRequestsAreRejectedBeforeAnythingLoads() {
        Rig r = rig(ModelFamily.LINUM, true);
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> r.generator().generate(
                new GenerationRequest("x", null, null, 6.0, null, null, null), Path.of("o.mp4"), GenerationListener.NONE));
        assertTrue(e.getMessage().contains("2 to 5"), e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> r.generator().generate(
                new GenerationRequest("x", null, "1080p", null, null, null, null), Path.of("o.mp4"), GenerationListener.NONE));
        assertTrue(e.getMessage().contains("1080p") && e.getMessage().contains("tiny"), e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> r.generator().generate(
                new GenerationRequest("  ", null, null, null, null, null, null), Path.of("o.mp4"), GenerationListener.NONE));
        assertTrue(e.getMessage().contains("prompt"), e.getMessage());
        assertTrue(r.events().isEmpty(), "nothing loaded for a bad request: " + r.events());
        for (double shift : new double[]{0, -1, Double.POSITIVE_INFINITY})
            assertThrows(InvalidRequestException.class, () -> new TextToVideo.Options(true, false, null, shift), "shift " + shift);
    }
}
