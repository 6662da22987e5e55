package dev.zoetrope.models.vae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;


import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.models.nn.Params;

/** Writing VAE checkpoints in either layout. */
public final class VaeCheckpoints {
    private VaeCheckpoints() {}

    /** Writes {@code params} (original keys) as one safetensors file in {@code layout}'s key names. */
    public static void write(Path file, Params params, WanVaeConfig c, VaeLayout layout) throws IOException {
        params.save(file, layout.keys(c), Map.of());
    }

    /**
     * Writes a Diffusers {@code vae/} folder: {@code diffusion_pytorch_model.safetensors} and a
     * {@code config.json} with the architecture and Wan's latent statistics.
     */
    public static void writeDiffusers(Path dir, Params params, WanVaeConfig c, LatentScale norm) throws IOException {
        ObjectNode config = diffusersConfig(c, norm);
        Files.createDirectories(dir);
        write(dir.resolve("diffusion_pytorch_model.safetensors"), params, c, VaeLayout.DIFFUSERS);
        AtomicFiles.writeString(dir.resolve("config.json"), Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
    }

    /** A Diffusers {@code AutoencoderKLWan} {@code config.json}: the architecture and Wan's latent statistics. */
    public static ObjectNode diffusersConfig(WanVaeConfig c, LatentScale norm) {
        if (norm.mean() == null) throw new IllegalArgumentException("a Diffusers VAE config needs a latent scale built from mean/std");
        ObjectNode n = Json.PLAIN.createObjectNode();
        n.put("_class_name", "AutoencoderKLWan");
        n.setAll((ObjectNode) Json.CONFIG.valueToTree(c));
        n.put("dropout", 0.0);
        var mean = n.putArray("latents_mean");
        for (float v : norm.mean()) mean.add(v);
        var std = n.putArray("latents_std");
        for (float v : norm.std()) std.add(v);
        return n;
    }
}
