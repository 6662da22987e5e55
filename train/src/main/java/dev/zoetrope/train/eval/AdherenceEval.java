package dev.zoetrope.train.eval;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.DirectoryManifest;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.VideoGenerator;
import dev.zoetrope.train.synth.ClipDetector;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.VideoReader;
import dev.zoetrope.video.VideoException;

/**
 * Generates a plan's clips into {@code dir/clips/} and scores them with the {@link ClipDetector}.
 *
 * <p>Resumable: a clip whose mp4 exists is complete (generators write atomically) and is not generated
 * again, so an interrupted run continues where it stopped, and a larger {@code k} or seen sample only adds
 * clips. The generator is opened only when something is left to generate. A directory holds the clips of
 * one generator, seed, step count and guidance ({@value #MANIFEST}); another combination is refused.
 */
public final class AdherenceEval {
    /** The detector must reach this on ground truth, on every axis and jointly, before a model is scored. */
    public static final double DETECTOR_THRESHOLD = 0.98;
    public static final String CLIPS = "clips";
    static final String MANIFEST = "eval-run.json";
    /** Frames per clip in the contact sheet. */
    static final int STRIP_FRAMES = 8;
    /** Contact-sheet frames taller than this are scaled down. */
    static final int STRIP_HEIGHT = 96;

    private AdherenceEval() {}

    /** How clips are requested: {@code steps} and {@code guidance} may be null for the model's defaults. */
    public record Sampling(Integer steps, Double guidance) {
        public Sampling {
            if (steps != null && steps < 1) throw new IllegalArgumentException("steps must be at least 1, got " + steps);
            if (guidance != null && !(guidance >= 0 && Double.isFinite(guidance)))
                throw new IllegalArgumentException("guidance scale must be a finite number >= 0, got " + guidance);
        }

        public static final Sampling DEFAULTS = new Sampling(null, null);
    }

    /**
     * What one clip cost to generate: DiT forwards (-1 when the generator does not count them), those the step cache
     * skipped, and wall seconds. Kept beside the clip ({@code ID.cost.json}), so a resumed run still reports it.
     */
    public record ClipCost(int ditForwards, int skippedForwards, double seconds) {}

    /** Mean cost per clip over {@code costs} (clips without a record are left out); NaN where nothing is known. */
    public record Speed(int clips, double forwardsPerClip, double secondsPerClip) {
        static Speed of(List<ClipCost> costs) {
            double forwards = costs.stream().filter(c -> c.ditForwards() >= 0).mapToInt(ClipCost::ditForwards).average().orElse(Double.NaN);
            return new Speed(costs.size(), forwards, costs.stream().mapToDouble(ClipCost::seconds).average().orElse(Double.NaN));
        }
    }

    /** A scored run: one score and one contact-sheet strip per planned clip, in plan order; videos in {@code clipsDir}. */
    public record Run(String generator, AdherencePlan plan, Sampling sampling, Path clipsDir, List<ClipScore> scores,
                      List<BufferedImage> strips, Map<String, ClipCost> costs, int generated, int skipped) {
        /**
         * The generation cost per clip of the held-out clips, the seen ones, or all ({@code heldOut} null); held-out and seen
         * in the canonical template.
         */
        public Speed speed(Boolean heldOut) {
            return Speed.of(scores.stream().filter(s -> heldOut == null || s.clip().prompt().phrasing() == null
                            && s.clip().prompt().heldOut() == heldOut)
                    .map(s -> costs.get(s.clip().id())).filter(Objects::nonNull).toList());
        }

        /** The cost per clip of the clips prompted in held-out phrasings. */
        public Speed heldOutPhrasingSpeed() {
            return Speed.of(scores.stream().filter(s -> s.clip().prompt().heldOutPhrasing())
                    .map(s -> costs.get(s.clip().id())).filter(Objects::nonNull).toList());
        }

        /** Held-out combinations, prompted in the canonical template. */
        public Accuracy heldOut() {
            return Accuracy.of(scores.stream().filter(s -> s.clip().prompt().heldOut() && s.clip().prompt().phrasing() == null).toList());
        }

        /** Held-out combinations, prompted in held-out phrasings. */
        public Accuracy heldOutPhrasings() {
            return Accuracy.of(scores.stream().filter(s -> s.clip().prompt().heldOutPhrasing()).toList());
        }

        /** Seen combinations, prompted in the canonical template. */
        public Accuracy seen() {
            return Accuracy.of(scores.stream().filter(s -> !s.clip().prompt().heldOut() && s.clip().prompt().phrasing() == null).toList());
        }

        /** Prompts people wrote ({@code eval adherence --prompts}). */
        public Accuracy written() {
            return Accuracy.of(scores.stream().filter(s -> s.clip().prompt().isWritten()).toList());
        }

        public Accuracy all() {
            return Accuracy.of(scores);
        }
    }

    /** The detector's score on ground-truth renderings of the plan's prompts. */
    public record DetectorValidation(Run run) {
        public boolean passed() {
            return run.all().worstRate() >= DETECTOR_THRESHOLD;
        }

        /** One line for readers: how far the detector can be trusted. */
        public String line() {
            Accuracy a = run.all();
            return String.format(Locale.ROOT, "detector validation on %d ground-truth clips (H.264): color %s, shape %s, "
                            + "direction %s, all three %s -> %s (needs >= %s on each)", a.clips(),
                    Accuracy.percent(a.colorRate()), Accuracy.percent(a.shapeRate()), Accuracy.percent(a.directionRate()),
                    Accuracy.percent(a.jointRate()), passed() ? "pass" : "FAIL", Accuracy.percent(DETECTOR_THRESHOLD));
        }
    }

    /** Renders the plan's prompts as ground truth into {@code dir} and scores the detector on them. */
    public static DetectorValidation validateDetector(Path dir, AdherencePlan plan, PrintStream progress) throws IOException {
        return new DetectorValidation(run(dir, GroundTruthGenerator.NAME, () -> new GroundTruthGenerator().understanding(plan), plan, Sampling.DEFAULTS,
                progress));
    }

    /**
     * Generates the plan's missing clips with the generator {@code open} returns (opened at most once, and
     * closed before scoring), then decodes and scores every clip. {@code progress} may be null for no bar.
     *
     * @param generatorName what the clips come from; recorded so a directory never mixes two generators
     */
    public static Run run(Path dir, String generatorName, Supplier<? extends VideoGenerator> open, AdherencePlan plan,
                          Sampling sampling, PrintStream progress) throws IOException {
        Objects.requireNonNull(open, "generator");
        Path clipsDir = dir.resolve(CLIPS);
        Files.createDirectories(clipsDir);
        checkManifest(dir, new Manifest(generatorName, plan.seed(), sampling.steps(), sampling.guidance()));
        removeStaleTemporaries(clipsDir);
        List<EvalClip> todo = plan.clips().stream().filter(c -> !Files.isRegularFile(mp4(clipsDir, c))).toList();
        int skipped = plan.clips().size() - todo.size();
        if (!todo.isEmpty()) {
            try (VideoGenerator generator = open.get();
                 ProgressBar bar = progress == null ? ProgressBar.silent(plan.clips().size(), null)
                         : new ProgressBar("generate", plan.clips().size(), "clips", progress, null)) {
                bar.stepTo(skipped);
                for (EvalClip clip : todo) {
                    bar.note(clip.id());
                    GenerationRequest request = new GenerationRequest(clip.prompt().caption(), null, null, null, clip.seed(),
                            sampling.guidance(), sampling.steps());
                    // Slow models take minutes per clip: show where the current one is.
                    GenerationListener within = (stage, fraction, eta) -> {
                        bar.note(String.format(Locale.ROOT, "%s: %s %.0f%%", clip.id(), stage, 100 * fraction));
                        bar.stepTo(bar.done());
                    };
                    long start = System.nanoTime();
                    GenerationResult result = generator.generate(request, mp4(clipsDir, clip), within);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (!Files.isRegularFile(mp4(clipsDir, clip)))
                        throw new IllegalStateException(generatorName + " wrote no video to " + mp4(clipsDir, clip));
                    Json.write(cost(clipsDir, clip), new ClipCost(result.ditForwards(), result.skippedForwards(), seconds));
                    bar.step();
                }
            }
        }
        List<ClipScore> scores = new ArrayList<>();
        List<BufferedImage> strips = new ArrayList<>();
        Map<String, ClipCost> costs = new HashMap<>();
        try (ProgressBar bar = progress == null ? ProgressBar.silent(plan.clips().size(), null)
                : new ProgressBar("score", plan.clips().size(), "clips", progress, null)) {
            for (EvalClip clip : plan.clips()) {
                List<Frame> frames = VideoReader.readAll(mp4(clipsDir, clip));
                if (frames.isEmpty()) throw new VideoException(mp4(clipsDir, clip) + ": no frames");
                scores.add(new ClipScore(clip, ClipDetector.detect(frames, clip.prompt().choices())));
                if (Files.isRegularFile(cost(clipsDir, clip))) costs.put(clip.id(), Json.read(cost(clipsDir, clip), ClipCost.class));
                strips.add(ContactSheet.strip(frames, STRIP_FRAMES, STRIP_HEIGHT));
                bar.step();
            }
        }
        return new Run(generatorName, plan, sampling, clipsDir, List.copyOf(scores), List.copyOf(strips), Map.copyOf(costs),
                todo.size(), skipped);
    }

    public static Path mp4(Path clipsDir, EvalClip clip) {
        return clipsDir.resolve(clip.id() + ".mp4");
    }

    static Path cost(Path clipsDir, EvalClip clip) {
        return clipsDir.resolve(clip.id() + ".cost.json");
    }

    record Manifest(String generator, long seed, Integer steps, Double guidance) {
        String describe() {
            return String.format(Locale.ROOT, "generator %s, seed %d, steps %s, guidance %s", generator, seed,
                    steps == null ? "default" : steps, guidance == null ? "default" : guidance);
        }
    }

    /** Deletes the hidden temporary files of clips a killed run left half-written. */
    private static void removeStaleTemporaries(Path clipsDir) throws IOException {
        try (Stream<Path> files = Files.list(clipsDir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") && name.contains(".mp4.") && name.endsWith(".part")) Files.deleteIfExists(p);
            }
        }
    }

    private static void checkManifest(Path dir, Manifest wanted) throws IOException {
        DirectoryManifest.claim(dir.resolve(MANIFEST), wanted, Manifest.class, Manifest::describe);
    }
}
