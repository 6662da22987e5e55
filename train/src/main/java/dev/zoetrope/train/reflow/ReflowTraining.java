package dev.zoetrope.train.reflow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.pipeline.LatentSampler;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.PromptEncoder;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.dit.DitTraining;
import dev.zoetrope.train.dit.SampleStrips;
import dev.zoetrope.train.dit.TextToVideoTask;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.loop.Trainer;

/**
 * {@code distill}: a few-step student trained by reflow on a teacher's couplings ({@link TeacherPairs}). The student
 * starts as the teacher's DiT, in float32, and all of it trains; the text encoder stays the teacher's, frozen. Runs
 * through the shared {@link Trainer}, so it checkpoints, resumes exactly and writes metrics, the loss curve and sample
 * strips like every other stage.
 */
public final class ReflowTraining {
    /**
     * @param sigmaJitter  std of the noise-level draws around the student's step sigmas
     * @param uniformShare share of the draws uniform over [0, 1) instead
     */
    public record Options(TrainConfig train, double sigmaJitter, double uniformShare) {
        public Options {
            if (!(sigmaJitter >= 0)) throw new IllegalArgumentException("distill.sigma_jitter must be ≥ 0, got " + sigmaJitter);
            if (!(uniformShare >= 0 && uniformShare <= 1))
                throw new IllegalArgumentException("distill.uniform_share must be within [0, 1], got " + uniformShare);
        }
    }

    private ReflowTraining() {}

    /** The families whose model directory a student can be exported into with its own defaults ({@code zoetrope.json}). */
    public static void requireSupported(ModelDirectory teacher) {
        if (teacher.family() != ModelFamily.LINUM)
            throw new InvalidRequestException(teacher.root() + " is a " + teacher.family().displayName() + " model; reflow distils "
                    + "Linum-layout models (Linum v2 and zoetrope's own), whose directory carries the student's step count in zoetrope.json");
    }

    /**
     * The sigmas of the schedule a student sampling {@code steps} steps with the teacher's shift goes through (n + 1, the
     * last 0): it is evaluated at the first n, its training targets.
     */
    public static float[] studentSchedule(TextToVideo.Parts teacher, int steps) {
        return LatentSampler.schedule(teacher, steps).sigmas();
    }

    /**
     * Trains the student until step {@code until} (see {@link Trainer#run(boolean, int)}) on the pairs at {@code pairs}.
     *
     * @param teacher the teacher's parts, loaded where training runs: its DiT starts the student, its text encoder
     *                encodes the captions once
     * @param steps   the student's sampling steps
     * @param strips  the student's sample strips (with the teacher's text encoder and VAE), or null for none
     * @param prompts the strips' prompts
     * @param device  where training runs: the teacher's parts must load there too
     */
    public static Trainer.Outcome run(ModelDirectory dir, TextToVideo.Parts teacher, Path pairs, Path runDir, Options o, int steps,
                                      boolean resume, int until, SampleStrips.Settings strips, List<String> prompts,
                                      org.bytedeco.pytorch.Device device) throws IOException {
        float[] sigmas = studentSchedule(teacher, steps);
        if (ProcessGroup.writesFiles()) {
            Files.createDirectories(runDir);
            Json.write(runDir.resolve("reflow.json"), Map.of("student_steps", steps,
                    "schedule_sigmas", sigmas, "sigma_jitter", o.sigmaJitter(), "uniform_share", o.uniformShare()));
        }
        List<Tensor> contexts = new ArrayList<>();
        try (Couplings data = Couplings.read(pairs); DiffusionTransformer student = student(dir, device)) {
            try (PromptEncoder text = teacher.text().get(); NoGradGuard ng = new NoGradGuard()) {
                for (String caption : data.captions()) contexts.add(Scopes.pinned(() -> text.encode(caption)));
            }
            TextToVideoTask.Sampler sampler = strips == null ? null : SampleStrips.around(teacher, student.config(), strips, prompts);
            ReflowTask task = new ReflowTask(student, data, contexts, sigmas, o.sigmaJitter(), o.uniformShare(), teacher.latentScale(),
                    sampler);
            return new Trainer(task, o.train(), runDir, "distill").run(resume, until);
        } finally {
            contexts.forEach(Scopes::release);
        }
    }

    /** The teacher's DiT as trainable float32 weights on {@code device}: full fine-tuning starts from them. */
    static DiffusionTransformer student(ModelDirectory teacher, org.bytedeco.pytorch.Device device) {
        try (DiffusionTransformer t = DiffusionTransformer.load(teacher.ditWeights(), ModelLoader.ditOptions(teacher, WeightDtype.F32, device))) {
            Params p = Params.empty();
            // each copy requires grad before the student's modules take any view of it, so gradients reach it
            t.parameters().forEach((k, w) -> Scopes.run(() -> {
                Tensor copy = w.detach().clone();
                copy.requires_grad_(true);
                p.put(k, copy);
            }));
            return DiffusionTransformer.fromParams(t.config(), p, Attention.Options.training(device));
        }
    }

    /** Writes the newest checkpoint's (EMA) student as a Linum DiT file, with the teacher's latent map. */
    public static void exportDit(Path runDir, TextToVideo.Parts teacher, Path file) throws IOException {
        try (Checkpoints.Loaded last = new Checkpoints(runDir).latest()
                .orElseThrow(() -> new InvalidRequestException(runDir + " holds no student checkpoint to export; run the distill stage"))) {
            DitTraining.writeDit(file, DitTraining.ditWeights(last), teacher.latentScale());
        }
    }
}
