package dev.zoetrope.train.recipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.train.dit.SampleStrips;
import dev.zoetrope.train.lora.LoraTraining;
import dev.zoetrope.train.loop.Trainer;

/**
 * Runs a {@link LoraRecipe}: {@code lora} (the adapters, trained on the shards) and {@code export} (the adapter file).
 * Both resume like {@link RecipeRunner}'s stages: the same command continues an interrupted run.
 */
public final class LoraRunner {
    public enum Stage {
        LORA, EXPORT
    }

    private final LoraRecipe recipe;
    private final Path work;
    private final Path out;
    private final ComputeDevice device;

    /**
     * @param out    the adapter file to write
     * @param device resolved: where the base model computes and the adapters train
     */
    public LoraRunner(LoraRecipe recipe, Path work, Path out, ComputeDevice device) {
        this.recipe = recipe;
        this.work = work;
        this.out = out;
        this.device = device;
    }

    public Path runDir() {
        return work.resolve("lora");
    }

    /** Runs {@code stages} in order (all when empty); false when the lora stage was stopped, as {@link RecipeRunner#run}. */
    public boolean run(List<Stage> stages) throws IOException {
        List<Stage> todo = RecipeRunner.orAll(stages, Stage.values());
        ModelDirectory base = recipe.baseDirectory(); // a base or shards that cannot be used fail before anything is written
        if (todo.contains(Stage.LORA)) recipe.shardDirectory();
        return RecipeRunner.runStages(work, recipe.name(), recipe.source(), todo, s -> switch (s) {
                case LORA -> !train(base, recipe.options().train().steps()).interrupted();
                case EXPORT -> RecipeRunner.solo("export", () -> export(base));
            });
    }

    /** Trains the adapters until step {@code until} (a checkpoint there), continuing from the newest checkpoint. */
    public Trainer.Outcome train(ModelDirectory base, int until) throws IOException {
        return LoraTraining.run(base, recipe.shardDirectory(), runDir(), recipe.options(), true, until, stripSettings(base),
                recipe.samplePrompts(), device);
    }

    /** The strips: base + adapters at the base model's defaults; null when the recipe asks none. */
    private SampleStrips.Settings stripSettings(ModelDirectory base) {
        if (recipe.options().train().sampleEvery() == 0) return null;
        ModelCapabilities c = base.capabilities();
        int[] wh = c.resolutions().get(c.defaultResolution());
        return new SampleStrips.Settings(wh[0], wh[1], base.family().frames(c.defaultSeconds(), c.fps()), c.fps(),
                Math.min(SampleStrips.STEPS, c.defaultSteps()), c.defaultGuidance(), c.defaultSeed(), base.shift());
    }

    /** The adapter file, in the recipe's form, and beside it its training record ({@code NAME-training/}). */
    private void export(ModelDirectory base) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("zoetrope_recipe", recipe.name());
        meta.put("zoetrope_base", recipe.base());
        LoraTraining.export(runDir(), recipe.options().lora(), recipe.form(), out, meta);
        Path record = out.resolveSibling(baseName(out) + "-training");
        Map<Path, String> files = new LinkedHashMap<>();
        files.put(work.resolve("recipe.json"), "recipe.json");
        for (String f : List.of("metrics.jsonl", "loss.png", "lora.json")) files.put(runDir().resolve(f), "lora-" + f);
        int every = recipe.options().train().sampleEvery(), steps = recipe.options().train().steps();
        if (every > 0) files.put(SampleStrips.stripFile(runDir().resolve("samples"), steps), "lora-samples-step-" + steps + ".png");
        Path tmp = RecipeRunner.staging(record);
        RecipeRunner.copyInto(files, tmp);
        if (Files.isDirectory(tmp)) RecipeRunner.install(tmp, record);
        System.err.println("adapter written to " + out);
    }

    private static String baseName(Path file) {
        String n = file.getFileName().toString();
        return n.endsWith(".safetensors") ? n.substring(0, n.length() - ".safetensors".length()) : n;
    }
}
