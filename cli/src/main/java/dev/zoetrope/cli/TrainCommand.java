package dev.zoetrope.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.train.recipe.Recipe;
import dev.zoetrope.train.recipe.RecipeRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a model from nothing with a recipe: synthetic data, VAE, text encoder and DiT, then export a model "
                + "directory that `generate --model-dir` loads.",
                "Every stage resumes: run the same command again after an interruption (Ctrl-C writes a checkpoint; "
                        + "even after kill -9 the newest checkpoint is used)."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--recipe", required = true, description = "tiny (the shipped model), micro (a quick check), or a recipe JSON file.")
    String recipe;

    @Option(names = "--work", description = "Working directory for data, checkpoints, metrics and plots (default: runs/RECIPE).")
    Path work;

    @Option(names = "--model-out", description = "Where to write the finished model (default: runs/RECIPE/model).")
    Path modelOut;

    @Option(names = "--stage", split = ",", description = "Run only these stages: synth, tokenizer, vae, latents, dit, export (default: all).")
    List<String> stages = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Recipe r = Recipe.load(recipe);
        Path w = work != null ? work : Path.of("runs", r.name());
        Path out = modelOut != null ? modelOut : w.resolve("model");
        List<RecipeRunner.Stage> todo = new ArrayList<>();
        for (String s : stages) {
            try {
                todo.add(RecipeRunner.Stage.valueOf(s.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown stage '" + s + "': use synth, tokenizer, vae, latents, dit or export");
            }
        }
        long t0 = System.nanoTime();
        new RecipeRunner(r, w, out).run(todo);
        System.out.printf(Locale.ROOT, "recipe %s finished in %.1f min; model in %s%n", r.name(), (System.nanoTime() - t0) / 6e10, out);
        return 0;
    }
}
