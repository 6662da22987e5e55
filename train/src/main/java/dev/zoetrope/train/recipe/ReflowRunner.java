package dev.zoetrope.train.recipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.pipeline.LatentSampler;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.models.pipeline.ZoetropeConfig;
import dev.zoetrope.train.dit.SampleStrips;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.loop.Trainer;
import dev.zoetrope.train.reflow.ReflowTraining;
import dev.zoetrope.train.reflow.TeacherPairs;

/**
 * Runs a {@link ReflowRecipe}: {@code pairs} (the teacher's guided couplings), {@code distill} (the student, by reflow
 * on them) and {@code export} (the teacher's model directory with the student's DiT and its few-step defaults). Every
 * stage resumes like {@link RecipeRunner}'s: the same command continues an interrupted run.
 */
public final class ReflowRunner {
    public enum Stage {
        PAIRS, DISTILL, EXPORT
    }

    private final ReflowRecipe recipe;
    private final Path work;
    private final Path modelOut;
    private final ComputeDevice device;

    /** @param device resolved: where the teacher samples and the student trains */
    public ReflowRunner(ReflowRecipe recipe, Path work, Path modelOut, ComputeDevice device) {
        this.recipe = recipe;
        this.work = work;
        this.modelOut = modelOut;
        this.device = device;
    }

    public Path pairsDir() {
        return work.resolve("pairs");
    }

    public Path distillDir() {
        return work.resolve("distill");
    }

    /** Runs {@code stages} in order (all when empty); false when the distill stage was stopped, as {@link RecipeRunner#run}. */
    public boolean run(List<Stage> stages) throws IOException {
        teacher(); // a teacher that cannot be distilled fails before anything is written
        return RecipeRunner.runStages(work, recipe.name(), recipe.source(), RecipeRunner.orAll(stages, Stage.values()), s -> switch (s) {
                case PAIRS -> RecipeRunner.solo("pairs", this::pairs);
                case DISTILL -> !distill(recipe.distill().train().steps()).interrupted();
                case EXPORT -> RecipeRunner.solo("export", this::export);
            });
    }

    private ModelDirectory teacher() {
        ModelDirectory dir = recipe.teacherDirectory();
        ReflowTraining.requireSupported(dir);
        return dir;
    }

    private TextToVideo.Parts parts(ModelDirectory dir) {
        return ModelLoader.parts(dir, WeightDtype.AUTO, device);
    }

    /**
     * The teacher's couplings, sampled as {@code generate} samples (its defaults, batched guidance), with the attention
     * kernel a training run pins ({@link Attention.Options#training}): generate's AUTO choice goes by timing, and the
     * kernels round differently, so the same recipe would not make the same pairs.
     */
    public void pairs() throws IOException {
        TextToVideo.Parts teacher = ModelLoader.parts(teacher(), WeightDtype.AUTO, device, Attention.Options.training(device.target()));
        try (LatentSampler sampler = new LatentSampler(teacher, TextToVideo.Options.DEFAULT)) {
            double perPair = TeacherPairs.write(sampler, recipe.pairs(), pairsDir());
            if (!Double.isNaN(perPair))
                Json.write(pairsDir().resolve("pairs-timing.json"), Map.of("seconds_per_pair", perPair, "pairs", recipe.pairs().count()));
        }
    }

    /** Trains the student until step {@code until} (a checkpoint there), continuing from the newest checkpoint. */
    public Trainer.Outcome distill(int until) throws IOException {
        ModelDirectory dir = teacher();
        TextToVideo.Parts parts = parts(dir);
        return ReflowTraining.run(dir, parts, pairsDir(), distillDir(), recipe.distill(), recipe.studentSteps(), true, until,
                stripSettings(dir), recipe.samplePrompts(), device.target());
    }

    /** The student's sample strips: the teacher's clip at the student's steps and guidance; null when the recipe asks none. */
    private SampleStrips.Settings stripSettings(ModelDirectory dir) {
        if (recipe.distill().train().sampleEvery() == 0) return null;
        ModelCapabilities c = dir.capabilities();
        int[] wh = c.resolutions().get(c.defaultResolution());
        return new SampleStrips.Settings(wh[0], wh[1], dir.family().frames(c.defaultSeconds(), c.fps()), c.fps(), recipe.studentSteps(),
                recipe.studentGuidance(), c.defaultSeed(), dir.shift());
    }

    /**
     * The student's model directory: the teacher's DiT config, VAE, text encoder and tokenizer copied as they are, the
     * student's DiT in their place, a {@code zoetrope.json} with the teacher's settings and the student's steps and guidance,
     * and the training record.
     */
    private void export() throws IOException {
        ModelDirectory dir = teacher();
        Path tmp = RecipeRunner.staging(modelOut);
        for (String part : List.of("dit", "vae", "t5")) copyTree(dir.root().resolve(part), tmp.resolve(part), part.equals("dit"));
        ReflowTraining.exportDit(distillDir(), parts(dir), tmp.resolve("dit").resolve(dir.resolution() + ".safetensors"));
        ZoetropeConfig z = Json.overlay(studentConfig(dir), recipe.generation(), ZoetropeConfig.class, "the recipe's generation section");
        AtomicFiles.writeString(tmp.resolve(ModelDirectory.ZOETROPE_CONFIG), Json.CONFIG.writeValueAsString(z) + "\n");
        Map<Path, String> record = new LinkedHashMap<>();
        record.put(work.resolve("recipe.json"), "recipe.json");
        record.put(pairsDir().resolve("pairs-timing.json"), "pairs-timing.json");
        for (String f : List.of("metrics.jsonl", "loss.png", "reflow.json")) record.put(distillDir().resolve(f), "distill-" + f);
        TrainConfig t = recipe.distill().train();
        if (t.sampleEvery() > 0)
            for (int step : new TreeSet<>(List.of(Math.min(t.sampleEvery(), t.steps()), t.steps())))
                record.put(SampleStrips.stripFile(distillDir().resolve("samples"), step), "distill-samples-step-" + step + ".png");
        RecipeRunner.copyRecord(record, tmp);
        RecipeRunner.install(tmp, modelOut);
    }

    /** The teacher's own settings (its zoetrope.json, else its family's), renamed, with the student's steps and guidance. */
    private ZoetropeConfig studentConfig(ModelDirectory dir) {
        ModelCapabilities c = dir.capabilities();
        ZoetropeConfig t = dir.zoetrope();
        Map<String, List<Integer>> resolutions = new LinkedHashMap<>();
        if (t != null) resolutions.putAll(t.resolutions());
        else c.resolutions().forEach((n, wh) -> resolutions.put(n, List.of(wh[0], wh[1])));
        return new ZoetropeConfig("zoetrope-" + recipe.name(), resolutions, c.defaultResolution(), c.fps(), c.minSeconds(),
                c.maxSeconds(), c.defaultSeconds(), recipe.studentSteps(), recipe.studentGuidance(), c.defaultSeed(),
                t != null ? t.defaultNegativePrompt() : c.defaultNegativePrompt(), dir.shift(), recipe.name());
    }

    /** Copies {@code from} into {@code to}; with {@code skipWeights}, leaves out safetensors files and shard indexes. */
    private static void copyTree(Path from, Path to, boolean skipWeights) throws IOException {
        if (!Files.isDirectory(from)) return;
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(from)) {
            s.filter(Files::isRegularFile).forEach(files::add);
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            if (skipWeights && (name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json"))) continue;
            Path dst = to.resolve(from.relativize(f).toString());
            Files.createDirectories(dst.getParent());
            Files.copy(f, dst, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
