package dev.zoetrope.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.dit.DitTraining;
import dev.zoetrope.train.loop.Trainer;
import dev.zoetrope.train.recipe.LoraRecipe;
import dev.zoetrope.train.recipe.LoraRunner;
import dev.zoetrope.train.recipe.Recipe;
import dev.zoetrope.train.recipe.RecipeRunner;
import dev.zoetrope.train.recipe.ReflowRecipe;
import dev.zoetrope.train.recipe.ReflowRunner;
import dev.zoetrope.train.shards.ClipRecord;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a model from nothing with a recipe: synthetic data, VAE, text encoder and DiT, then export a model "
                + "directory that `generate --model-dir` loads.",
                "A recipe with a teacher (tiny-turbo) distils that model instead: the teacher's guided samples as (noise, latent) pairs, "
                        + "a few-step student trained on them by reflow, and the student's model directory.",
                "Every stage resumes: run the same command again after an interruption (Ctrl-C writes a checkpoint; "
                        + "even after kill -9 the newest checkpoint is used).",
                "A LoRA recipe (lora, micro-lora, tiny-white, tiny-motion) trains adapters on a base model (--from MODEL_DIR) with curated shards "
                        + "(--shards DIR, from `curate --latents-from MODEL_DIR`), its weights frozen, and writes an adapter file for "
                        + "`generate --lora`.",
                "With --shards, trains only the DiT on shards made elsewhere, e.g. by `curate --latents-from MODEL_DIR`.",
                "With --nproc-per-node K (and --nnodes, --node-rank, --master-addr, --master-port across machines) trains "
                        + "data-parallel on libtorch's c10d (gloo; NCCL on CUDA): each rank computes its share of the recipe's "
                        + "batch_size, rank 0 writes; a process started with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and "
                        + "MASTER_PORT set (torchrun, a scheduler) joins as it is."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--recipe", required = true, description = "tiny (the shipped model: the synthetic world captioned in free "
            + "language, a subword tokenizer), micro (a quick check), tiny-turbo (a 4-step "
            + "student of zoetrope-tiny), micro-turbo (the same at toy sizes, from runs/micro/model), lora (adapters on --from's DiT), "
            + "micro-lora (the same at toy sizes), tiny-white (white backgrounds taught to zoetrope-tiny), tiny-motion (diagonals and standing still taught to zoetrope-tiny), or a recipe JSON file.")
    String recipe;

    @Option(names = "--from", paramLabel = "MODEL_DIR", description = "With a LoRA recipe: the base model (a model directory or a "
            + "Hugging Face repo id in the local cache), instead of the recipe's.")
    String from;

    @Option(names = "--work", description = "Working directory for data, checkpoints, metrics and plots (default: runs/RECIPE).")
    Path work;

    @Option(names = "--model-out", description = "Where to write the finished model (default: runs/RECIPE/model); for a LoRA recipe, "
            + "the adapter file (default: runs/RECIPE/RECIPE.safetensors).")
    Path modelOut;

    @Option(names = "--stage", split = ",", description = "Run only these stages: synth, tokenizer, vae, latents, dit, export; for a "
            + "distillation recipe (one with a teacher): pairs, distill, export; for a LoRA recipe: lora, export (default: all).")
    List<String> stages = new ArrayList<>();

    @Option(names = "--vae-from", paramLabel = "DIR", description = "Adopt a trained VAE instead of training one: a model directory "
            + "(e.g. models/zoetrope-tiny), a recipe's work directory, or a VAE export directory; its config must be the recipe's. "
            + "For changes to the text side or the DiT, which leave the VAE as it is.")
    Path vaeFrom;

    @Option(names = "--shards", description = "Train only the DiT (and its text encoder) with the recipe's settings on these shards, "
            + "e.g. the shards/ of `curate --latents-from MODEL_DIR`: every clip needs latents and text_ids of one shape. "
            + "Checkpoints, metrics and plots go to WORK/dit.")
    Path shards;

    @Option(names = "--tokenizer", description = "With --shards: the tokenizer (directory or tokenizer.json) that made the shards' "
            + "text_ids, e.g. MODEL_DIR/t5/tokenizer (default: WORK/tokenizer).")
    Path tokenizer;

    @Option(names = "--until", description = "With --shards: stop at this step (with a checkpoint) instead of the recipe's last; "
            + "the learning-rate schedule stays the recipe's, and running again with a later step continues.")
    Integer until;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    DistributedOptions distributed = new DistributedOptions();

    @Override
    public Integer call() throws Exception {
        return distributed.run(device, this::train);
    }

    /** The exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it): its checkpoint is written, nothing after it ran. */
    static final int STOPPED = 130;

    private int train() throws Exception {
        ComputeDevice where = device.parsed();
        Recipe.Source source = Recipe.source(recipe);
        if (vaeFrom != null && (source.distils() || source.adapts() || shards != null))
            throw new InvalidRequestException("--vae-from goes with a recipe that trains from nothing, without --shards");
        if (source.distils()) return distil(ReflowRecipe.parse(source.json(), source.label()), where);
        if (source.adapts()) return adapt(LoraRecipe.parse(source.json(), source.label()), where);
        if (from != null) throw new InvalidRequestException("--from names a LoRA recipe's base model; " + recipe + " is not a LoRA recipe");
        Recipe r = Recipe.parse(source.json(), source.label());
        Path w = work != null ? work : Path.of("runs", r.name());
        if (shards != null) {
            if (work == null) throw new InvalidRequestException("--shards needs --work DIR for its checkpoints (kept apart from the recipe's own runs)");
            return trainOnShards(r, w, where);
        }
        if (tokenizer != null || until != null) throw new InvalidRequestException("--tokenizer and --until go with --shards");
        if (vaeFrom != null && !stages.isEmpty() && stages.stream().noneMatch(x -> x.trim().equalsIgnoreCase("vae")))
            throw new InvalidRequestException("--vae-from replaces the vae stage; give it with that stage (or all)");
        Path out = modelOut != null ? modelOut : w.resolve("model");
        List<RecipeRunner.Stage> todo = stages(RecipeRunner.Stage.class, ": use synth, tokenizer, vae, latents, dit or export");
        ComputeDevice on = where.resolve();
        long t0 = System.nanoTime();
        if (!new RecipeRunner(r, w, out, on, vaeFrom).run(todo)) return STOPPED;
        System.out.printf(Locale.ROOT, "recipe %s finished in %.1f min; model in %s%n", r.name(), (System.nanoTime() - t0) / 6e10, out);
        return 0;
    }

    /**
     * The {@code --stage} values as stages of {@code kind}; an unknown one is refused naming them ({@code what}: the
     * end of the message, e.g. " for a LoRA recipe: use lora or export").
     */
    private <S extends Enum<S>> List<S> stages(Class<S> kind, String what) {
        List<S> todo = new ArrayList<>();
        for (String s : stages) {
            try {
                todo.add(Enum.valueOf(kind, s.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new InvalidRequestException("unknown stage '" + s + "'" + what);
            }
        }
        return todo;
    }

    /** A distillation recipe: pairs from the teacher, the student's training, its model directory. */
    private int distil(ReflowRecipe r, ComputeDevice where) throws Exception {
        if (shards != null || tokenizer != null || until != null || from != null)
            throw new InvalidRequestException("--shards, --tokenizer, --until and --from go with other recipes; " + r.name() + " distils a teacher");
        Path w = work != null ? work : Path.of("runs", r.name());
        Path out = modelOut != null ? modelOut : w.resolve("model");
        List<ReflowRunner.Stage> todo = stages(ReflowRunner.Stage.class, " for a distillation recipe: use pairs, distill or export");
        long t0 = System.nanoTime();
        if (!new ReflowRunner(r, w, out, where.resolve()).run(todo)) return STOPPED;
        System.out.printf(Locale.ROOT, "recipe %s finished in %.1f min; model in %s%n", r.name(), (System.nanoTime() - t0) / 6e10, out);
        return 0;
    }

    /** A LoRA recipe: adapters trained on the base model with the shards, then the adapter file. */
    private int adapt(LoraRecipe r, ComputeDevice where) throws Exception {
        if (tokenizer != null) throw new InvalidRequestException("--tokenizer goes with --shards for a DiT trained from nothing; a LoRA "
                + "encodes its captions with the base model's own tokenizer and text encoder");
        LoraRecipe run = r.with(from, shards);
        Path w = work != null ? work : Path.of("runs", r.name());
        Path out = modelOut != null ? modelOut : w.resolve(r.name() + ".safetensors");
        List<LoraRunner.Stage> todo = stages(LoraRunner.Stage.class, " for a LoRA recipe: use lora or export");
        if (until != null && !todo.equals(List.of(LoraRunner.Stage.LORA)))
            throw new InvalidRequestException("--until stops the lora stage early: give it with --stage lora");
        long t0 = System.nanoTime();
        LoraRunner runner = new LoraRunner(run, w, out, where.resolve());
        if (until != null) {
            Trainer.Outcome o = runner.train(run.baseDirectory(), until);
            System.out.printf(Locale.ROOT, "lora: steps %d→%d, last loss %.4f; checkpoints in %s%n", o.startStep(), o.endStep(), o.lastLoss(),
                    runner.runDir());
            return o.interrupted() ? STOPPED : 0;
        }
        if (!runner.run(todo)) return STOPPED;
        System.out.printf(Locale.ROOT, "recipe %s finished in %.1f min%s%n", r.name(), (System.nanoTime() - t0) / 6e10,
                todo.isEmpty() || todo.contains(LoraRunner.Stage.EXPORT) ? "; adapter in " + out + " (generate --lora " + out + ")" : "");
        return 0;
    }

    /** The DiT stage on shards made elsewhere (curation), with the recipe's model and optimisation settings. */
    private int trainOnShards(Recipe r, Path w, ComputeDevice where) throws Exception {
        if (!stages.stream().allMatch(s -> s.trim().equalsIgnoreCase("dit")))
            throw new InvalidRequestException("--shards trains the DiT only; drop --stage or give --stage dit");
        if (modelOut != null)
            throw new InvalidRequestException("--shards trains the DiT into WORK/dit; --model-out (an export) needs the recipe's own stages");
        Path tok = tokenizer != null ? tokenizer : w.resolve("tokenizer");
        DitTraining.Options o = r.dit();
        var text = o.text().withVocabSize(Tokenizers.load(tok).vocabSize());
        o = o.withText(text);
        checkShards(shards, o.dit());
        int last = until != null ? until : o.train().steps();
        ComputeDevice on = where.resolve();
        long t0 = System.nanoTime();
        Trainer.Outcome out = DitTraining.run(shards, tok, w.resolve("dit"), o, true, last, null, on);
        System.out.printf(Locale.ROOT, "dit on %s: steps %d→%d, last loss %.4f, %.1f samples/s, %.1f min; checkpoints in %s%n",
                shards, out.startStep(), out.endStep(), out.lastLoss(), out.samplesPerSecond(), (System.nanoTime() - t0) / 6e10,
                w.resolve("dit"));
        return out.interrupted() ? STOPPED : 0;
    }

    /** Fails before any model is built when the shards cannot feed this DiT: missing tensors, channel count, patch fit, shapes. */
    static void checkShards(Path dir, DitConfig dit) {
        long[] first = null;
        String firstId = null;
        try (ShardReader reader = ShardReader.open(dir)) {
            for (ClipRecord c : reader.records()) {
                ClipRecord.TensorSpec z = c.tensors().get(ShardTensor.LATENTS);
                if (z == null || !c.tensors().containsKey(ShardTensor.TEXT_IDS))
                    throw new InvalidRequestException(dir + ": clip " + c.clipId() + " has no " + (z == null ? "latents" : "text_ids")
                            + "; curate with --latents-from MODEL_DIR (or --vae and --tokenizer)");
                long[] s = z.shape();
                if (first == null) {
                    first = s;
                    firstId = c.clipId();
                    if (s.length != 4 || s[0] != dit.inDim())
                        throw new InvalidRequestException(dir + ": latents of " + c.clipId() + " are " + Arrays.toString(s)
                                + "; the recipe's DiT takes (C, F, H, W) with C = in_dim = " + dit.inDim() + " (use a VAE with that many latent channels)");
                    if (s[1] % dit.patchSize().t() != 0 || s[2] % dit.patchSize().h() != 0 || s[3] % dit.patchSize().w() != 0)
                        throw new InvalidRequestException(dir + ": latents " + Arrays.toString(s) + " do not divide into the DiT's patches "
                                + dit.patchSize() + "; pick a clip size whose latent height and width are multiples of the patch");
                } else if (!Arrays.equals(first, s))
                    throw new InvalidRequestException(dir + ": clip " + c.clipId() + " has latents " + Arrays.toString(s) + ", "
                            + firstId + " has " + Arrays.toString(first) + "; the trainer batches clips of one shape: curate with "
                            + "--min-seconds equal to --max-seconds (and one resolution)");
            }
        }
        if (first == null) throw new InvalidRequestException(dir + " holds no clips");
    }
}
