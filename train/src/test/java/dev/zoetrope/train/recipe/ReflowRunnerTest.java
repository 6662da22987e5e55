package dev.zoetrope.train.recipe;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.io.ClipWriter;
import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.LatentDecoder;
import dev.zoetrope.models.pipeline.LatentSampler;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.VelocityModel;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.models.sampling.FlowSampler;
import dev.zoetrope.models.sampling.NoiseGenerator;
import dev.zoetrope.train.loop.MetricsLog;
import dev.zoetrope.train.reflow.TeacherPairs;
import dev.zoetrope.train.shards.ShardClip;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.train.synth.SynthSpec;

/**
 * The micro-turbo recipe end to end, with a teacher trained here (the micro recipe at 17 frames): pairs are the
 * teacher's own generations, an interrupted distill resumes exactly, and the exported student samples a 17-frame clip in
 * 4 steps with one DiT forward each.
 */
class ReflowRunnerTest {
    @TempDir
    static Path dir;
    static Path teacher;

    @BeforeAll
    static void trainTeacher() {
        teacher = MicroModel.model();
    }

    /** The built-in micro-turbo recipe with this test's teacher, optionally with other pair and step counts. */
    static ReflowRecipe recipe(int pairs, long pairSeed, int distillSteps, double lr, int sampleEvery) {
        ObjectNode n = Recipe.source("micro-turbo").json().deepCopy();
        n.put("teacher", teacher.toString());
        ((ObjectNode) n.path("pairs")).put("count", pairs).put("seed", pairSeed);
        ((ObjectNode) n.path("distill").path("train")).put("steps", distillSteps).put("lr", lr).put("sample_every", sampleEvery);
        return ReflowRecipe.parse(n, "micro-turbo for this test");
    }

    static ReflowRunner runner(ReflowRecipe r, String work) {
        return new ReflowRunner(r, dir.resolve(work), dir.resolve(work + "-model"), ComputeDevice.CPU);
    }

    @Test
    void pairsAreWhatGenerateMakesAndResume() throws Exception {
        ReflowRecipe r = recipe(6, 5, 12, 2e-4, 0);
        ReflowRunner whole = runner(r, "pairs-whole");
        whole.run(List.of(ReflowRunner.Stage.PAIRS));
        // in two sittings: 4 pairs, then the rest
        ReflowRunner split = runner(r, "pairs-split");
        runner(recipe(4, 5, 12, 2e-4, 0), "pairs-split").run(List.of(ReflowRunner.Stage.PAIRS));
        split.run(List.of(ReflowRunner.Stage.PAIRS));
        split.run(List.of(ReflowRunner.Stage.PAIRS)); // nothing left: adds nothing
        // a resumed stage refuses pairs made with other settings
        assertThrows(InvalidRequestException.class, () -> runner(recipe(6, 6, 12, 2e-4, 0), "pairs-split").run(List.of(ReflowRunner.Stage.PAIRS)));

        ModelDirectory model = ModelDirectory.detect(teacher);
        Set<String> trainingCaptions = new HashSet<>(TeacherPairs.captions(TeacherPairs.SYNTH));
        Set<Long> seeds = new HashSet<>();
        try (ShardReader a = ShardReader.open(whole.pairsDir()); ShardReader b = ShardReader.open(split.pairsDir());
             PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            assertEquals(6, a.size());
            assertEquals(6, b.size(), "the resumed stage added the missing pairs once");
            for (int i = 0; i < 6; i++) {
                ShardClip p = a.get(TeacherPairs.pairId(i)).orElseThrow(), q = b.get(TeacherPairs.pairId(i)).orElseThrow();
                String caption = p.record().caption();
                assertTrue(trainingCaptions.contains(caption), caption);
                assertFalse(SynthSpec.parse(caption).orElseThrow().combination().heldOut(), "never a held-out combination: " + caption);
                long seed = p.record().signals().get("seed").longValue();
                seeds.add(seed);
                assertEquals(caption, q.record().caption());
                for (String t : List.of(TeacherPairs.NOISE, ShardTensor.LATENTS))
                    assertArrayEquals(p.bytes(t), q.bytes(t), "pair " + i + " " + t + " is the same whether or not the stage was interrupted");

                Tensor noise = p.load(TeacherPairs.NOISE), latent = p.load(ShardTensor.LATENTS);
                assertArrayEquals(new long[]{4, 5, 4, 4}, Tensors.shape(latent), "17 frames at 32×32: 5 latent frames of 4×4");
                assertEquals(0.0, Tensors.maxAbsDiff(noise, new NoiseGenerator(seed).gaussian(1, 4, 5, 4, 4).select(0, 0)),
                        "the noise is generate's for that seed");
                if (i < 2) {
                    Tensor generated = generatedLatent(model, caption, seed);
                    Tensor stored = ModelLoader.parts(model, WeightDtype.AUTO).latentScale().toVae(latent.unsqueeze(0));
                    assertEquals(0.0, Tensors.maxAbsDiff(stored, generated), "pair " + i + " is the latent generate decodes with the same kernel, bit for bit");
                }
            }
        }
        assertEquals(6, seeds.size(), "every pair has its own noise");
    }

    /**
     * What {@code generate -Dzoetrope.attention=chunked} hands the VAE for this prompt and seed with the teacher's
     * defaults (VAE space): the kernel the pairs stage pins.
     */
    static Tensor generatedLatent(ModelDirectory model, String caption, long seed) {
        String before = System.getProperty("zoetrope.attention");
        System.setProperty("zoetrope.attention", "chunked");
        try {
            return generatedLatentAsConfigured(model, caption, seed);
        } finally {
            if (before == null) System.clearProperty("zoetrope.attention");
            else System.setProperty("zoetrope.attention", before);
        }
    }

    private static Tensor generatedLatentAsConfigured(ModelDirectory model, String caption, long seed) {
        TextToVideo.Parts parts = ModelLoader.parts(model, WeightDtype.AUTO);
        List<Tensor> seen = new ArrayList<>();
        TextToVideo.Parts capturing = new TextToVideo.Parts(parts.family(), parts.capabilities(), parts.shift(), parts.text(), parts.dit(),
                () -> new Capturing(parts.vae().get(), seen), parts.latentScale());
        int[] frames = {0};
        try (TextToVideo t2v = new TextToVideo(capturing, TextToVideo.Options.DEFAULT, (mp4, w, h, fps) -> new Counting(frames))) {
            t2v.generate(new GenerationRequest(caption, null, null, null, seed, null, null), dir.resolve("unused.mp4"), GenerationListener.NONE);
        }
        assertEquals(17, frames[0]);
        return seen.getFirst();
    }

    @Test
    void distillResumesExactlyAndTheStudentGenerates17FramesIn4StepsWithOneForwardEach() throws Exception {
        ReflowRecipe r = recipe(6, 9, 12, 2e-4, 6);
        ReflowRunner whole = runner(r, "distill-whole"), split = runner(r, "distill-split");
        whole.run(List.of(ReflowRunner.Stage.PAIRS, ReflowRunner.Stage.DISTILL, ReflowRunner.Stage.EXPORT));
        copyTree(whole.pairsDir(), split.pairsDir());
        split.distill(6); // interrupted at step 6 (a checkpoint there), then the same command again
        split.run(List.of(ReflowRunner.Stage.DISTILL));
        assertArrayEquals(Files.readAllBytes(whole.distillDir().resolve("checkpoints/step-00000012.safetensors")),
                Files.readAllBytes(split.distillDir().resolve("checkpoints/step-00000012.safetensors")), "resumed = uninterrupted, byte for byte");
        assertEquals(losses(whole.distillDir()), losses(split.distillDir()));

        Path student = dir.resolve("distill-whole-model");
        ModelDirectory m = ModelDirectory.detect(student), t = ModelDirectory.detect(teacher);
        assertEquals(4, m.capabilities().defaultSteps());
        assertEquals(0.0, m.capabilities().defaultGuidance());
        assertEquals(t.shift(), m.shift());
        assertEquals(t.capabilities().defaultSeed(), m.capabilities().defaultSeed());
        assertEquals("micro-turbo", m.zoetrope().recipe());
        for (String f : List.of("vae/vae.safetensors", "vae/config.json", "t5/text_encoder/model.safetensors", "t5/tokenizer/tokenizer.json",
                "dit/config.json"))
            assertArrayEquals(Files.readAllBytes(teacher.resolve(f)), Files.readAllBytes(student.resolve(f)), f + " is the teacher's");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(teacher.resolve("dit/32p.safetensors")),
                Files.readAllBytes(student.resolve("dit/32p.safetensors"))), "the DiT is the student's");
        for (String f : List.of("recipe.json", "distill-metrics.jsonl", "distill-loss.png", "distill-samples-step-6.png",
                "distill-samples-step-12.png", "distill-reflow.json", "pairs-timing.json"))
            assertTrue(Files.size(student.resolve("training").resolve(f)) > 0, f);

        // generate with the model's defaults: 17 frames, 4 steps, one batch-1 forward per step
        TextToVideo.Parts parts = ModelLoader.parts(m, WeightDtype.AUTO);
        List<Long> forwards = new ArrayList<>();
        TextToVideo.Parts counted = new TextToVideo.Parts(parts.family(), parts.capabilities(), parts.shift(), parts.text(),
                () -> new CountingVelocity(parts.dit().get(), forwards), parts.vae(), parts.latentScale());
        int[] frames = {0};
        GenerationResult result;
        try (TextToVideo t2v = new TextToVideo(counted, TextToVideo.Options.DEFAULT, (mp4, w, h, fps) -> new Counting(frames))) {
            result = t2v.generate(GenerationRequest.of("a red circle moving left on a black background"), dir.resolve("unused.mp4"),
                    GenerationListener.NONE);
        }
        assertEquals(17, result.frames());
        assertEquals(17, frames[0]);
        assertEquals(4, result.resolved().steps());
        assertEquals(List.of(1L, 1L, 1L, 1L), forwards, "4 steps, each one conditional forward of one sample");
    }

    /**
     * The reflow objective and the student's sampler agree (sigmas, timesteps, the sign of the velocity): fitted to two
     * pairs, the 4-step student lands nearer the teacher's guided latent than the teacher's own 4-step sample does.
     */
    @Test
    void aStudentFittedToItsPairsReachesTheirLatentsIn4Steps() throws Exception {
        ReflowRunner run = runner(recipe(2, 11, 40, 3e-3, 0), "fit");
        run.run(List.of(ReflowRunner.Stage.PAIRS, ReflowRunner.Stage.DISTILL, ReflowRunner.Stage.EXPORT));
        ModelDirectory student = ModelDirectory.detect(dir.resolve("fit-model")), model = ModelDirectory.detect(teacher);
        try (ShardReader pairs = ShardReader.open(run.pairsDir()); PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard();
             LatentSampler s = new LatentSampler(ModelLoader.parts(student, WeightDtype.AUTO), TextToVideo.Options.DEFAULT);
             LatentSampler t = new LatentSampler(ModelLoader.parts(model, WeightDtype.AUTO), TextToVideo.Options.DEFAULT)) {
            for (ShardClip p : pairs) {
                String caption = p.record().caption();
                long seed = p.record().signals().get("seed").longValue();
                Tensor target = p.load(ShardTensor.LATENTS).unsqueeze(0);
                Tensor byStudent = s.sample(new GenerationRequest(caption, null, null, null, seed, null, null), FlowSampler.StepListener.NONE).latent();
                Tensor byTeacher = t.sample(new GenerationRequest(caption, null, null, null, seed, 0.0, 4), FlowSampler.StepListener.NONE).latent();
                double student4 = mse(byStudent, target), teacher4 = mse(byTeacher, target);
                assertTrue(student4 < 0.5 * teacher4, caption + ": student " + student4 + " vs the teacher's own 4 unguided steps " + teacher4);
            }
        }
    }

    static double mse(Tensor a, Tensor b) {
        return Tensors.toDoubles(a.sub(b).square().mean().to(org.bytedeco.pytorch.global.torch.ScalarType.Double))[0];
    }

    static List<Double> losses(Path run) throws Exception {
        return MetricsLog.read(run.resolve("metrics.jsonl")).stream().map(n -> n.get("loss").asDouble()).toList();
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path dst = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(dst);
                else Files.copy(p, dst);
            }
        }
    }

    /** Keeps the latent the pipeline decodes. */
    record Capturing(LatentDecoder inner, List<Tensor> seen) implements LatentDecoder {
        public int latentChannels() {
            return inner.latentChannels();
        }

        public int temporalFactor() {
            return inner.temporalFactor();
        }

        public int spatialFactor() {
            return inner.spatialFactor();
        }

        public void decode(Tensor latent, Frames sink, BooleanSupplier cancelled) {
            seen.add(Scopes.pin(latent.clone()));
            inner.decode(latent, sink, cancelled);
        }

        public void close() {
            inner.close();
        }
    }

    /** Counts the DiT's forwards and their batch sizes. */
    record CountingVelocity(VelocityModel inner, List<Long> batches) implements VelocityModel {
        public Tensor velocity(Tensor x, double timestep, List<Tensor> contexts) {
            batches.add(x.size(0));
            return inner.velocity(x, timestep, contexts);
        }

        public Tensor onModelDevice(Tensor host) {
            return inner.onModelDevice(host);
        }

        public void close() {
            inner.close();
        }
    }

    /** Counts frames instead of writing them. */
    record Counting(int[] frames) implements ClipWriter {
        public void frame(byte[] rgb) {
            frames[0]++;
        }

        public void finish() {}

        public void abort() {}
    }
}
