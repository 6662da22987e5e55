package dev.zoetrope.curate.pipeline;

import java.nio.file.Path;

import dev.zoetrope.models.pipeline.ModelDirectory;

/**
 * What a model directory (Linum, zoetrope or Wan layout) gives curation so its shards match that model: the VAE for
 * the latents, and the tokenizer, cut at the length the DiT attends to ({@code text_len} of its config, else the
 * family's), for the caption ids.
 */
public record ModelInputs(Path vae, Path tokenizer, int textLength) {
    /** @param dir a detected model, e.g. {@link ModelDirectory#resolve} of a directory or a repo id */
    public static ModelInputs of(ModelDirectory dir) {
        // With a config beside the weights, load the directory so the VAE's dims come from it, not from inference.
        Path vae = dir.vaeConfig() != null ? dir.vaeConfig().getParent() : dir.vaeWeights();
        return new ModelInputs(vae, dir.tokenizer(), dir.textLength());
    }
}
