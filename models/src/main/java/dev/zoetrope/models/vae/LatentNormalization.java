package dev.zoetrope.models.vae;

import java.nio.file.Path;
import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.Tensors;

/**
 * Wan's per-channel latent statistics: the DiT works on {@code (μ − mean)/std}. Linum does not use this
 * (it has its own scale/bias); Wan 2.1 does.
 */
public record LatentNormalization(float[] mean, float[] std) {

    public LatentNormalization {
        if (mean.length != std.length)
            throw new IllegalArgumentException("latents_mean has " + mean.length + " values, latents_std " + std.length);
        for (float s : std)
            if (!(s > 0)) throw new IllegalArgumentException("latents_std values must be positive, got " + s);
        mean = mean.clone();
        std = std.clone();
    }

    /** The statistics published with the Wan 2.1 VAE (16 channels). */
    public static LatentNormalization wan21() {
        return new LatentNormalization(
                new float[]{-0.7571f, -0.7089f, -0.9113f, 0.1075f, -0.1745f, 0.9653f, -0.1517f, 1.5508f,
                        0.4134f, -0.0715f, 0.5517f, -0.3632f, -0.1922f, -0.9497f, 0.2503f, -0.2921f},
                new float[]{2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
                        3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f});
    }

    /** {@code latents_mean}/{@code latents_std} of a Diffusers {@code vae/config.json}, or null if it has none. */
    public static LatentNormalization fromConfig(Path configJson) {
        JsonNode n = Json.readTree(configJson);
        if (!n.has("latents_mean") && !n.has("latents_std")) return null;
        try {
            return new LatentNormalization(floats(n, "latents_mean"), floats(n, "latents_std"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(configJson + ": " + e.getMessage(), e);
        }
    }

    private static float[] floats(JsonNode n, String name) {
        JsonNode a = n.get(name);
        if (a == null || !a.isArray()) throw new IllegalArgumentException("field '" + name + "' must be a list of numbers");
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isNumber()) throw new IllegalArgumentException("field '" + name + "' holds a bad entry: " + a.get(i));
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }

    public int channels() {
        return mean.length;
    }

    /** VAE latent → DiT space: {@code (z − mean)/std} per channel of a (B, C, T, H, W) tensor. */
    public Tensor normalize(Tensor z) {
        check(z);
        return z.sub(column(mean, z)).div(column(std, z));
    }

    /** DiT space → VAE latent: {@code x·std + mean}. */
    public Tensor denormalize(Tensor x) {
        check(x);
        return x.mul(column(std, x)).add(column(mean, x));
    }

    private void check(Tensor z) {
        if (z.dim() != 5 || z.size(1) != mean.length)
            throw new IllegalArgumentException("latent normalisation needs a (B, " + mean.length + ", T, H, W) tensor, got "
                    + Arrays.toString(Tensors.shape(z)));
    }

    private static Tensor column(float[] v, Tensor like) {
        return Tensors.fromFloats(v, 1, v.length, 1, 1, 1).to(like.scalar_type());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LatentNormalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "LatentNormalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
