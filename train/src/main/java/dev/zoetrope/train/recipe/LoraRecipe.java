package dev.zoetrope.train.recipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.train.dit.SampleStrips;
import dev.zoetrope.train.lora.LoraLayers;
import dev.zoetrope.train.lora.LoraTraining;
import dev.zoetrope.train.loop.TrainConfig;

/**
 * A recipe that trains LoRA adapters on a model (see {@code recipes/lora.json}): which base model, which curated shards,
 * the adapters' rank, alpha and target Linears, how to train them, and the form of the exported file.
 *
 * @param base          the base model: a directory the loader accepts (relative paths are tried from the working
 *                      directory, then from the zoetrope home) or a repo id in the local Hugging Face cache; null when the
 *                      command line must give it ({@code --from})
 * @param shards        the curated shards (latents by the base model's VAE, captions); null when the command line must
 *                      give them ({@code --shards})
 * @param samplePrompts the prompts of the sample strips
 */
public record LoraRecipe(String name, String base, String shards, LoraTraining.Options options, Lora.Form form,
                         List<String> samplePrompts, JsonNode source) {
    /** The field that makes a recipe a LoRA recipe. */
    public static final String LORA = "lora";

    public static LoraRecipe parse(JsonNode n, String source) {
        try {
            JsonNode l = n.path(LORA);
            List<String> targets = new ArrayList<>();
            l.path("targets").forEach(t -> targets.add(t.asText()));
            LoraLayers.Spec spec = new LoraLayers.Spec(l.path("rank").asInt(0), l.path("alpha").asDouble(l.path("rank").asDouble(0)), targets);
            if (n.path("train").isMissingNode()) throw new IllegalArgumentException("missing a 'train' section");
            TrainConfig train = Json.SNAKE.treeToValue(n.path("train"), TrainConfig.class);
            WeightDtype dtype = WeightDtype.valueOf(n.path("base_dtype").asText("auto").toUpperCase(Locale.ROOT));
            LoraTraining.Options o = new LoraTraining.Options(spec, train, n.path("caption_dropout").asDouble(0.1),
                    n.path("logit_mean").asDouble(0), n.path("logit_std").asDouble(1), dtype);
            List<String> prompts = new ArrayList<>();
            n.path("sample_prompts").forEach(x -> prompts.add(x.asText()));
            return new LoraRecipe(n.path("name").asText(LORA), text(n, "base"), text(n, "shards"), o,
                    Lora.Form.parse(l.path("form").asText("kohya")), prompts.isEmpty() ? SampleStrips.canonicalPrompts() : List.copyOf(prompts), n);
        } catch (IOException | IllegalArgumentException | InvalidRequestException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isTextual() && !n.path(field).asText().isBlank() ? n.path(field).asText() : null;
    }

    /** This recipe with the base model and shards the command line gives (null: the recipe's). */
    public LoraRecipe with(String baseModel, Path shardDir) {
        return new LoraRecipe(name, baseModel != null ? baseModel : base, shardDir != null ? shardDir.toString() : shards, options, form,
                samplePrompts, source);
    }

    /** The base model's directory: {@link #base} from the working directory, else from the zoetrope home. */
    public ModelDirectory baseDirectory() {
        if (base == null) throw new InvalidRequestException("recipe " + name + " names no base model: give --from MODEL_DIR");
        Path p = fromHome(base);
        return ModelDirectory.resolve(Files.exists(p) ? p.toString() : base, null);
    }

    /** The shards: {@link #shards} from the working directory, else from the zoetrope home. */
    public Path shardDirectory() {
        if (shards == null) throw new InvalidRequestException("recipe " + name + " names no shards: give --shards DIR (from `curate --latents-from MODEL_DIR`)");
        Path p = fromHome(shards);
        if (!Files.isDirectory(p)) throw new InvalidRequestException("shards " + shards + ": no such directory");
        return p;
    }

    /** {@code path} as given when it exists, else under the zoetrope home when it exists there. */
    static Path fromHome(String path) {
        Path p = Path.of(path);
        String home = System.getProperty("zoetrope.home");
        if (!p.isAbsolute() && !Files.exists(p) && home != null && Files.exists(Path.of(home).resolve(p))) return Path.of(home).resolve(p);
        return p;
    }
}
