package dev.zoetrope.curate.pipeline;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.pipeline.ModelDirectory;

/**
 * What a model directory (Linum, zoetrope or Wan layout) gives curation so its shards match that model: the VAE for
 * the latents, and the tokenizer, cut at the length the DiT attends to ({@code text_len} of its config, else the
 * family's), for the caption ids.
 */
public record ModelInputs(Path vae, Path tokenizer, int textLength) {
    public static ModelInputs of(Path modelDir) {
        ModelDirectory dir = ModelDirectory.detect(modelDir);
        // With a config beside the weights, load the directory so the VAE's dims come from it, not from inference.
        Path vae = dir.vaeConfig() != null ? dir.vaeConfig().getParent() : dir.vaeWeights();
        return new ModelInputs(vae, dir.tokenizer(), textLength(dir));
    }

    private static int textLength(ModelDirectory dir) {
        if (dir.ditConfig() == null) return dir.family().textLength();
        JsonNode len = Json.readTree(dir.ditConfig()).get("text_len");
        if (len == null) return dir.family().textLength();
        if (!len.canConvertToInt() || len.asInt() < 2)
            throw new ConfigException(dir.ditConfig() + ": text_len must be a whole number of at least 2, not " + len);
        return len.asInt();
    }
}
