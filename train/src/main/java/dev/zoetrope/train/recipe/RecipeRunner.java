package dev.zoetrope.train.recipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.ZoetropeConfig;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.dit.DitTraining;
import dev.zoetrope.train.dit.LatentSet;
import dev.zoetrope.train.dit.SampleStrips;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.synth.Captioner;
import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.train.text.SubwordDropout;
import dev.zoetrope.train.text.UnigramTrainer;
import dev.zoetrope.train.text.VocabularyBuilder;
import dev.zoetrope.train.vae.VaeTraining;

/**
 * Runs a {@link Recipe} from nothing to a model directory, stage by stage: synthetic data, tokenizer, VAE,
 * latent shards, DiT + text encoder, export. Every stage is resumable: re-running the same command skips
 * what is done and continues what was interrupted. Wall time of each stage goes to {@code timings-STAGE.json}.
 */
public final class RecipeRunner {
    public enum Stage {
        SYNTH, TOKENIZER, VAE, LATENTS, DIT, EXPORT
    }

    private final Recipe recipe;
    private final Path work;
    private final Path modelOut;
    private final ComputeDevice device;
    private final Path vaeFrom;

    /** A run on the CPU. */
    public RecipeRunner(Recipe recipe, Path work, Path modelOut) {
        this(recipe, work, modelOut, ComputeDevice.CPU);
    }

    /**
     * A run whose models compute on {@code device} (resolved): the VAE's training and evaluation, the latents' encoding,
     * the DiT's training and its sample strips.
     */
    public RecipeRunner(Recipe recipe, Path work, Path modelOut, ComputeDevice device) {
        this(recipe, work, modelOut, device, null);
    }

    /**
     * A run whose VAE stage adopts a trained VAE instead of training one ({@code vaeFrom}: a model directory, a recipe's
     * work directory or a VAE export directory; null trains it): for changes to the text side or the DiT, which leave
     * the VAE as it is.
     */
    public RecipeRunner(Recipe recipe, Path work, Path modelOut, ComputeDevice device, Path vaeFrom) {
        this.recipe = recipe;
        this.work = work;
        this.modelOut = modelOut;
        this.device = device;
        this.vaeFrom = vaeFrom;
    }

    public Path trainClips() {
        return work.resolve("data/synth-train");
    }

    public Path heldoutClips() {
        return work.resolve("data/synth-heldout");
    }

    public Path tokenizerDir() {
        return work.resolve("tokenizer");
    }

    /**
     * Runs {@code stages} in order (all when empty). Returns false when a training stage was stopped (Ctrl-C): its
     * checkpoint is written and no later stage ran; the same call again continues it.
     */
    public boolean run(List<Stage> stages) throws IOException {
        return runStages(work, recipe.name(), recipe.source(), orAll(stages, Stage.values()), s -> switch (s) {
                case SYNTH -> solo("synth", this::synth);
                case TOKENIZER -> solo("tokenizer", this::tokenizer);
                case VAE -> vaeFrom != null ? solo("vae", () -> adoptVae(vaeFrom))
                        : !VaeTraining.run(trainClips(), heldoutClips(), work.resolve("vae"), recipe.vae(), true, device).interrupted();
                case LATENTS -> solo("latents", this::latents);
                case DIT -> !DitTraining.run(work.resolve("latents"), tokenizerDir(), work.resolve("dit"), ditOptions(), true,
                        recipe.dit().train().steps(), sampleStrips(), device).interrupted();
                case EXPORT -> solo("export", this::export);
            });
    }

    /** {@code stages}, or every one of {@code all} when none is given. */
    static <S extends Enum<S>> List<S> orAll(List<S> stages, S[] all) {
        return stages.isEmpty() ? List.of(all) : stages;
    }

    /** What one stage of a runner does: true when it ran to its end, false when its training was stopped (Ctrl-C). */
    @FunctionalInterface
    interface StageAction<S> {
        boolean run(S stage) throws IOException;
    }

    /**
     * The stage loop every recipe runner shares: the recipe is recorded in {@code work} (by the process that writes
     * files), then each of {@code todo} runs in order under its banner, timed ({@link #timed}). A stopped stage ends the
     * run there: a later stage (an export above all) must never see a half-trained model, nor race the JVM's exit.
     * Returns whether every stage ran to its end.
     */
    static <S extends Enum<S>> boolean runStages(Path work, String recipe, JsonNode source, List<S> todo, StageAction<S> action)
            throws IOException {
        if (ProcessGroup.writesFiles()) {
            Files.createDirectories(work);
            Json.write(work.resolve("recipe.json"), source);
        }
        for (S s : todo) {
            if (!timed(work, recipe, s.name(), () -> action.run(s))) {
                if (ProcessGroup.writesFiles())
                    System.err.println("== " + recipe + ": stopped in " + s.name().toLowerCase(Locale.ROOT) + "; later stages did not run");
                return false;
            }
        }
        return true;
    }

    /** A stage that is not training (it always runs to its end): in a data-parallel run rank 0 does it and the other ranks wait. */
    static boolean solo(String stage, ProcessGroup.Solo work) throws IOException {
        Optional<ProcessGroup> group = ProcessGroup.current();
        if (group.isPresent()) group.get().onRankZero(stage, work);
        else work.run();
        return true;
    }

    /** A stage's work: true when it ran to its end. */
    @FunctionalInterface
    interface StageBody {
        boolean run() throws IOException;
    }

    /**
     * Runs one stage under its banner; when it ran to its end, writes its wall time to {@code timings-STAGE.json}
     * (a stopped stage has no timing). Returns whether it ran to its end.
     */
    static boolean timed(Path work, String recipe, String stage, StageBody body) throws IOException {
        String name = stage.toLowerCase(Locale.ROOT);
        Engine.EngineInfo engine = Engine.init();
        long t0 = System.nanoTime();
        if (ProcessGroup.writesFiles()) System.err.println("== " + recipe + ": " + name + " (" + engine.describeThreads() + ")");
        if (!body.run()) return false;
        if (ProcessGroup.writesFiles()) {
            // the thread counts travel with the time: a CPU run's bytes depend on both
            Map<String, Object> timing = new LinkedHashMap<>();
            timing.put("seconds", (System.nanoTime() - t0) / 1e9);
            timing.put("threads", engine.threads());
            timing.put("blas_threads", engine.blasThreads());
            Json.write(work.resolve("timings-" + name + ".json"), timing);
        }
        return true;
    }

    private void synth() throws IOException {
        Recipe.Synth s = recipe.synth();
        SynthWorld.generate(trainClips(), s.trainClips(), s.seed(),
                new SynthWorld.Settings(s.size(), s.size(), s.frames(), s.fps(), SynthWorld.Split.TRAIN), 2, System.err);
        SynthWorld.generate(heldoutClips(), s.heldoutClips(), s.seed() + 1,
                new SynthWorld.Settings(s.size(), s.size(), s.frames(), s.fps(), SynthWorld.Split.HELDOUT), 2, System.err);
    }

    /**
     * With a {@code language} section, a subword Unigram vocabulary trained on the free grammar's training captions (held-out
     * words never among them); without, a word-level one of every template caption the synthetic world can write, so the
     * vocabulary covers held-out prompts too.
     */
    private void tokenizer() throws IOException {
        Recipe.Language language = recipe.language();
        if (language != null) {
            VocabularyBuilder.write(UnigramTrainer.train(Captioner.trainingCorpus(language.seed(), language.corpusCaptions()),
                    language.vocabSize()), tokenizerDir().resolve("tokenizer.json"));
            return;
        }
        VocabularyBuilder vocab = new VocabularyBuilder();
        for (SynthSpec.Combination c : SynthSpec.combinations())
            for (int bg = 0; bg < SynthSpec.BACKGROUNDS.size(); bg++)
                for (int t = 0; t < SynthSpec.TEMPLATES.size(); t++) vocab.add(SynthSpec.caption(t, c, bg));
        vocab.write(tokenizerDir().resolve("tokenizer.json"));
    }

    private void latents() throws IOException {
        try (WanVae vae = WanVae.load(work.resolve("vae/export"), device.target());
             ClipSet clips = ClipSet.readSynth(trainClips(), recipe.latentClips())) {
            int textLen = recipe.dit().dit().textLen();
            Recipe.Language language = recipe.language();
            if (language == null) {
                LatentSet.writeShards(clips, vae, Tokenizers.load(tokenizerDir(), textLen), work.resolve("latents"), 1000);
                return;
            }
            SubwordDropout spelling = SubwordDropout.load(tokenizerDir().resolve("tokenizer.json"), textLen);
            LatentSet.writeShards(clips, vae, i -> phrasings(clips.captions().get(i), i, language, spelling), work.resolve("latents"), 1000);
        }
    }

    /**
     * The token ids of clip {@code index}'s phrasings ({@link Captioner#trainingCaptions}); the second half spelled with
     * subword dropout, from a stream of (seed, index) of their own.
     */
    static int[][] phrasings(String own, int index, Recipe.Language language, SubwordDropout spelling) {
        SynthSpec.Parsed said = SynthSpec.parse(own).orElseThrow(() -> new InvalidRequestException(
                "clip " + index + "'s caption '" + own + "' is not one of the synthetic world's templates"));
        List<String> captions = Captioner.trainingCaptions(said.combination(), said.background(), own, language.seed(), index,
                language.phrasings());
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(~language.seed() * 0x9E3779B97F4A7C15L + index);
        int[][] ids = new int[captions.size()][];
        for (int j = 0; j < ids.length; j++)
            ids[j] = spelling.encode(captions.get(j), j < (ids.length + 1) / 2 ? 0 : language.subwordDropout(), rnd);
        return ids;
    }

    /**
     * The VAE stage from a trained VAE: its weights and config (checked against the recipe's) and its training record
     * copied into {@code vae/}, as if this run had trained it.
     */
    private void adoptVae(Path from) throws IOException {
        Path weights = Stream.of(from, from.resolve("vae"), from.resolve("vae/export"))
                .filter(d -> Files.isRegularFile(d.resolve("vae.safetensors")) && Files.isRegularFile(d.resolve("config.json")))
                .findFirst().orElseThrow(() -> new InvalidRequestException("--vae-from " + from + ": no vae.safetensors and config.json "
                        + "there, in its vae/ (a model directory) or in its vae/export/ (a recipe's work directory)"));
        WanVaeConfig theirs = Json.SNAKE.treeToValue(Json.readTree(weights.resolve("config.json")), WanVaeConfig.class);
        if (!theirs.equals(recipe.vae().model()))
            throw new InvalidRequestException("--vae-from " + from + ": its VAE config " + theirs + " is not the recipe's " + recipe.vae().model());
        Path export = work.resolve("vae/export");
        Files.createDirectories(export);
        Map<Path, String> files = new LinkedHashMap<>();
        files.put(weights.resolve("vae.safetensors"), "export/vae.safetensors");
        files.put(weights.resolve("config.json"), "export/config.json");
        // the record: a model directory's training/vae-*, or a work directory's vae/*
        for (String f : List.of("vae_eval.json", "metrics.jsonl", "loss.png", "reconstructions.png")) {
            files.put(from.resolve("training/vae-" + f), f);
            files.put(from.resolve("vae/" + f), f);
        }
        for (Map.Entry<Path, String> e : files.entrySet())
            if (Files.isRegularFile(e.getKey()))
                AtomicFiles.write(work.resolve("vae").resolve(e.getValue()), tmp -> Files.copy(e.getKey(), tmp, StandardCopyOption.REPLACE_EXISTING));
        System.err.println("VAE adopted from " + weights);
    }

    /** The recipe's DiT options with the text encoder's vocabulary sized to the tokenizer. */
    private DitTraining.Options ditOptions() {
        DitTraining.Options o = recipe.dit();
        T5Config text = o.text().withVocabSize(Tokenizers.load(tokenizerDir()).vocabSize());
        return o.withText(text);
    }

    /**
     * The DiT stage's sample strips (when the recipe's {@code sample_every} asks for them): the canonical prompts at
     * the recipe's clip size, decoded by the trained VAE, with the generation defaults for guidance and seed.
     */
    private SampleStrips sampleStrips() {
        if (recipe.dit().train().sampleEvery() == 0) return null;
        DitTraining.Options o = ditOptions();
        Recipe.Synth s = recipe.synth();
        JsonNode g = recipe.generation();
        ModelCapabilities linum = ModelFamily.LINUM.capabilities(ModelFamily.LINUM.resolutions().keySet().iterator().next());
        int steps = Math.min(SampleStrips.STEPS, g.path("default_steps").asInt(SampleStrips.STEPS));
        SampleStrips.Settings settings = new SampleStrips.Settings(s.size(), s.size(), s.frames(), (int) Math.round(s.fps()), steps,
                g.path("default_guidance").asDouble(linum.defaultGuidance()), g.path("default_seed").asLong(linum.defaultSeed()), o.shift());
        return new SampleStrips(o.dit(), o.text(), Tokenizers.load(tokenizerDir(), o.dit().textLen()), work.resolve("vae/export"),
                settings, SampleStrips.canonicalPrompts());
    }

    /** Assembles the model directory: Linum layout plus configs and {@code zoetrope.json}. */
    private void export() throws IOException {
        Path tmp = staging(modelOut);
        DitTraining.export(work.resolve("dit"), tokenizerDir(), ditOptions(), recipe.resolution(), tmp);
        Files.createDirectories(tmp.resolve("vae"));
        Files.copy(work.resolve("vae/export/vae.safetensors"), tmp.resolve("vae/vae.safetensors"));
        Files.copy(work.resolve("vae/export/config.json"), tmp.resolve("vae/config.json"));
        Recipe.Synth s = recipe.synth();
        double seconds = (s.frames() - 1) / s.fps();
        ZoetropeConfig made = new ZoetropeConfig("zoetrope-" + recipe.name(), Map.of(recipe.resolution(), List.of(s.size(), s.size())),
                recipe.resolution(), (int) Math.round(s.fps()), seconds, seconds, seconds, null, null, null, null,
                recipe.dit().shift(), // the sampler uses the shift the DiT was trained with
                recipe.name());
        ZoetropeConfig z = Json.overlay(made, recipe.generation(), ZoetropeConfig.class, "the recipe's generation section");
        AtomicFiles.writeString(tmp.resolve("zoetrope.json"), Json.CONFIG.writeValueAsString(z) + "\n");
        // the training record travels with the weights: recipe, curves, metrics, VAE round trips, first and last samples
        Map<Path, String> record = new LinkedHashMap<>();
        for (String f : List.of("recipe.json", "vae/vae_eval.json", "dit/metrics.jsonl", "vae/metrics.jsonl", "dit/loss.png",
                "vae/loss.png", "vae/reconstructions.png", "timings-vae.json", "timings-latents.json", "timings-dit.json"))
            record.put(work.resolve(f), f.replace('/', '-'));
        TrainConfig dit = recipe.dit().train();
        if (dit.sampleEvery() > 0)
            for (int step : new TreeSet<>(List.of(Math.min(dit.sampleEvery(), dit.steps()), dit.steps())))
                record.put(SampleStrips.stripFile(work.resolve("dit/samples"), step), "dit-samples-step-" + step + ".png");
        copyRecord(record, tmp);
        install(tmp, modelOut);
    }

    /** The directory a model is assembled in before {@link #install} puts it in place; emptied first. */
    static Path staging(Path modelOut) throws IOException {
        Path tmp = modelOut.resolveSibling(modelOut.getFileName() + ".part");
        if (Files.exists(tmp)) deleteTree(tmp);
        return tmp;
    }

    /** Copies each existing file of {@code record} (source → name) into the model's {@code training/}. */
    static void copyRecord(Map<Path, String> record, Path model) throws IOException {
        copyInto(record, model.resolve("training"));
    }

    /** Copies each existing file of {@code record} (source → name) into {@code dir}. */
    static void copyInto(Map<Path, String> record, Path dir) throws IOException {
        for (Map.Entry<Path, String> e : record.entrySet()) {
            Path src = e.getKey();
            if (Files.exists(src)) {
                Path dst = dir.resolve(e.getValue());
                Files.createDirectories(dst.getParent());
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Moves the assembled model {@code tmp} to {@code modelOut}, replacing an older one only once the new one is whole. */
    static void install(Path tmp, Path modelOut) throws IOException {
        if (Files.exists(modelOut)) {
            Path old = modelOut.resolveSibling(modelOut.getFileName() + ".old");
            if (Files.exists(old)) deleteTree(old);
            Files.move(modelOut, old);
            Files.move(tmp, modelOut);
            deleteTree(old);
        } else {
            Files.createDirectories(modelOut.toAbsolutePath().getParent());
            Files.move(tmp, modelOut);
        }
        System.err.println("model written to " + modelOut);
    }

    static void deleteTree(Path p) throws IOException {
        List<Path> all = new ArrayList<>();
        try (var s = Files.walk(p)) {
            s.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) Files.deleteIfExists(all.get(i));
    }
}
