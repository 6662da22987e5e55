package dev.zoetrope.train.recipe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.dit.DitTraining;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.vae.VaeTraining;
import dev.zoetrope.train.vae.VaeTrainingTask;

/**
 * A training recipe: the whole definition of a model trained from nothing, as JSON data (see
 * {@code recipes/tiny.json}): synthetic data, VAE, text encoder, DiT, and the generation defaults.
 */
public record Recipe(String name, String resolution, Synth synth, int latentClips, VaeTraining.Options vae, T5Config text, DitTraining.Options dit,
                     Language language, JsonNode generation, JsonNode source) {

    /** The synthetic-world part: clip geometry, clip counts and seed. */
    public record Synth(int size, int frames, double fps, int trainClips, int heldoutClips, long seed) {}

    /**
     * The captions' language (the {@code language} section; without it a word-level vocabulary and each clip's one
     * template caption, as the first recipes had): a subword Unigram tokenizer of {@code vocabSize} pieces trained on
     * {@code corpusCaptions} captions of the free grammar ({@code Captioner}), and {@code phrasings} captions per clip (its
     * own, then the grammar's), of which the second half are spelled with subword dropout {@code subwordDropout}.
     */
    public record Language(int vocabSize, int corpusCaptions, int phrasings, double subwordDropout, long seed) {
        public Language {
            if (vocabSize < 64) throw new IllegalArgumentException("language.vocab_size must be at least 64, got " + vocabSize);
            if (corpusCaptions < 1) throw new IllegalArgumentException("language.corpus_captions must be at least 1, got " + corpusCaptions);
            if (phrasings < 1) throw new IllegalArgumentException("language.phrasings must be at least 1, got " + phrasings);
            if (!(subwordDropout >= 0 && subwordDropout < 1))
                throw new IllegalArgumentException("language.subword_dropout must be within [0, 1), got " + subwordDropout);
        }

        static Language parse(JsonNode n) {
            if (n.isMissingNode() || n.isNull()) return null;
            return new Language(n.path("vocab_size").asInt(256), n.path("corpus_captions").asInt(20_000), n.path("phrasings").asInt(8),
                    n.path("subword_dropout").asDouble(0.1), n.path("seed").asLong(1));
        }
    }

    /** A recipe's JSON and how errors name it ({@code recipe tiny}, or the file). */
    public record Source(JsonNode json, String label) {
        /** Whether it distils a teacher model ({@link ReflowRecipe}) rather than training from nothing. */
        public boolean distils() {
            return json.has(ReflowRecipe.TEACHER);
        }

        /** Whether it trains LoRA adapters on a base model ({@link LoraRecipe}). */
        public boolean adapts() {
            return json.has(LoraRecipe.LORA);
        }
    }

    /** The JSON of a built-in recipe ({@code tiny}, {@code micro}, {@code tiny-turbo}, {@code micro-turbo}, {@code lora}, ...) or of a file. */
    public static Source source(String nameOrFile) {
        Path file = Path.of(nameOrFile);
        if (Files.isRegularFile(file)) return new Source(Json.readTree(file), file.toString());
        try (InputStream in = Recipe.class.getResourceAsStream("/dev/zoetrope/train/recipes/" + nameOrFile + ".json")) {
            if (in == null)
                throw new InvalidRequestException("unknown recipe '" + nameOrFile + "': use tiny, micro, tiny-turbo, micro-turbo, lora, micro-lora, tiny-white, tiny-motion, or a recipe JSON file");
            return new Source(Json.PLAIN.readTree(in), "recipe " + nameOrFile);
        } catch (IOException e) {
            throw new ConfigException("recipe " + nameOrFile + ": " + e.getMessage(), e);
        }
    }

    /** A built-in recipe that trains from nothing ({@code tiny}, {@code micro}) or a JSON file. */
    public static Recipe load(String nameOrFile) {
        Source s = source(nameOrFile);
        if (s.distils())
            throw new InvalidRequestException(s.label() + " distils a teacher model; it is a reflow recipe, not one that trains from nothing");
        if (s.adapts())
            throw new InvalidRequestException(s.label() + " trains LoRA adapters on a base model; it is a LoRA recipe, not one that trains from nothing");
        return parse(s.json(), s.label());
    }

    public static Recipe parse(JsonNode n, String source) {
        try {
            JsonNode s = n.path("synth");
            Synth synth = new Synth(s.path("size").asInt(64), s.path("frames").asInt(17), s.path("fps").asDouble(8),
                    s.path("train_clips").asInt(), s.path("heldout_clips").asInt(), s.path("seed").asLong(1));
            JsonNode v = n.path("vae");
            WanVaeConfig vaeModel = Json.SNAKE.treeToValue(v.path("model"), WanVaeConfig.class);
            int window = v.path("window_frames").asInt(5);
            VaeTraining.Options vae = new VaeTraining.Options(vaeModel, window, v.path("final_window_frames").asInt(window),
                    v.path("final_window_steps").asInt(0), v.path("kl_weight").asDouble(1e-4),
                    v.path("salient_weight").asDouble(1.0), v.path("edge_weight").asDouble(0.0),
                    VaeTrainingTask.Reconstruction.parse(v.path("reconstruction").asText("l2")),
                    v.path("max_clips").asInt(Integer.MAX_VALUE), v.path("eval_clips").asInt(50), train(v.path("train")));
            T5Config text = T5Config.fromJson(n.path("text"), source + " text");
            JsonNode d = n.path("dit");
            DitConfig ditModel = DitConfig.fromJson(d.path("model"), ModelFamily.LINUM);
            TrainConfig ditTrain = train(d.path("train"));
            DitTraining.Options dit = new DitTraining.Options(ditModel, text, ditTrain, d.path("caption_dropout").asDouble(0.1),
                    d.path("logit_mean").asDouble(0), d.path("logit_std").asDouble(1), d.path("shift").asDouble(3),
                    d.path("text_seed").asLong(ditTrain.seed()), d.path("salient_weight").asDouble(1.0),
                    d.path("attribute_weight").asDouble(0.0));
            if (vaeModel.zDim() != ditModel.inDim())
                throw new ConfigException(source + ": the VAE's z_dim " + vaeModel.zDim() + " differs from the DiT's in_dim " + ditModel.inDim());
            if (text.dModel() != ditModel.textDim())
                throw new ConfigException(source + ": the text encoder's d_model " + text.dModel() + " differs from the DiT's text_dim " + ditModel.textDim());
            return new Recipe(n.path("name").asText("recipe"), n.path("resolution").asText(synth.size() + "p"), synth,
                    d.path("max_clips").asInt(Integer.MAX_VALUE), vae, text, dit, Language.parse(n.path("language")),
                    n.path("generation"), n);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    private static TrainConfig train(JsonNode t) throws IOException {
        if (t.isMissingNode()) throw new IllegalArgumentException("missing a 'train' section");
        return Json.SNAKE.treeToValue(t, TrainConfig.class);
    }
}
