package dev.zoetrope.models.vae;

import java.nio.file.Path;
import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.nn.Ops;

/**
 * The per-channel affine map between the VAE's latent space and the DiT's: {@code x = z·scale + bias} and back
 * {@code z = (x − bias)/scale}. Linum stores its own as {@code video_data_scale}/{@code video_data_bias} in the
 * DiT checkpoint ({@link #fromDit}); Wan normalises with the VAE's latent statistics, {@code x = (z − mean)/std},
 * i.e. scale = 1/std and bias = −mean/std ({@link #fromMeanStd}, {@link #wan21}, {@link #fromConfig}).
 *
 * @param mean the latent mean this map was built from, or null (Linum's map has none); kept as given because
 *             recomputing it from scale and bias would not round-trip in float, and configs are written from it
 * @param std  the latent standard deviation, null exactly when {@code mean} is
 */
public record LatentScale(float[] scale, float[] bias, float[] mean, float[] std) {
    public static final String SCALE_KEY = "video_data_scale";
    public static final String BIAS_KEY = "video_data_bias";

    public LatentScale {
        if (scale.length != bias.length)
            throw new IllegalArgumentException("latent scale has " + scale.length + " channels, bias " + bias.length);
        for (float s : scale)
            if (!(s != 0 && Float.isFinite(s))) throw new IllegalArgumentException("latent scale values must be finite and non-zero, got " + s);
        if ((mean == null) != (std == null)) throw new IllegalArgumentException("latent mean and std come together or not at all");
        if (mean != null) {
            if (mean.length != scale.length || std.length != scale.length)
                throw new IllegalArgumentException("latent scale has " + scale.length + " channels, mean " + mean.length + ", std " + std.length);
            // The statistics travel with the map they define, never beside a different one.
            for (int c = 0; c < scale.length; c++)
                if (scale[c] != 1f / std[c] || bias[c] != -mean[c] / std[c])
                    throw new IllegalArgumentException("latent scale and bias of channel " + c + " are not 1/std and −mean/std");
            mean = mean.clone();
            std = std.clone();
        }
        scale = scale.clone();
        bias = bias.clone();
    }

    /** A map with no statistics behind it, as Linum's checkpoints and the trainer's latent sets carry. */
    public LatentScale(float[] scale, float[] bias) {
        this(scale, bias, null, null);
    }

    /** Linum's buffers from its DiT checkpoint. */
    public static LatentScale fromDit(Weights dit, int channels) {
        for (String key : new String[]{SCALE_KEY, BIAS_KEY}) {
            if (!dit.contains(key))
                throw new ModelLoadException(dit.source() + ": missing tensor " + key + " (shape [" + channels + "]), "
                        + "the latent normalisation Linum checkpoints carry beside model.*");
            long[] shape = dit.info(key).orElseThrow().shape();
            if (Tensors.numel(shape) != channels)
                throw new ModelLoadException(dit.source() + ": tensor " + key + " has shape " + Arrays.toString(shape)
                        + ", expected [" + channels + "]");
        }
        return new LatentScale(Scopes.value(() -> Tensors.toFloats(dit.load(SCALE_KEY))),
                Scopes.value(() -> Tensors.toFloats(dit.load(BIAS_KEY))));
    }

    /** Wan's normalisation {@code x = (z − mean)/std}, keeping {@code mean} and {@code std}. */
    public static LatentScale fromMeanStd(float[] mean, float[] std) {
        if (mean.length != std.length)
            throw new IllegalArgumentException("latents_mean has " + mean.length + " values, latents_std " + std.length);
        for (float s : std)
            if (!(s > 0)) throw new IllegalArgumentException("latents_std values must be positive, got " + s);
        float[] scale = new float[mean.length], bias = new float[mean.length];
        for (int c = 0; c < mean.length; c++) {
            scale[c] = 1f / std[c];
            bias[c] = -mean[c] / std[c];
        }
        return new LatentScale(scale, bias, mean, std);
    }

    /** The statistics published with the Wan 2.1 VAE (16 channels). */
    public static LatentScale wan21() {
        return fromMeanStd(
                new float[]{-0.7571f, -0.7089f, -0.9113f, 0.1075f, -0.1745f, 0.9653f, -0.1517f, 1.5508f,
                        0.4134f, -0.0715f, 0.5517f, -0.3632f, -0.1922f, -0.9497f, 0.2503f, -0.2921f},
                new float[]{2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
                        3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f});
    }

    /** {@code latents_mean}/{@code latents_std} of a Diffusers {@code vae/config.json}, or null if it has none. */
    public static LatentScale fromConfig(Path configJson) {
        return fromConfig(Json.readTree(configJson), configJson.toString());
    }

    /** {@link #fromConfig(Path)} of a config already parsed; {@code source} names it in errors. */
    public static LatentScale fromConfig(JsonNode n, String source) {
        if (!n.has("latents_mean") && !n.has("latents_std")) return null;
        try {
            return fromMeanStd(floats(n, "latents_mean"), floats(n, "latents_std"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
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
        return scale.length;
    }

    /** DiT space → VAE latent for a (B, C, T, H, W) tensor. */
    public Tensor toVae(Tensor x) {
        check(x);
        return x.sub(column(bias, x)).div(column(scale, x));
    }

    /** VAE latent → DiT space. */
    public Tensor toDit(Tensor z) {
        check(z);
        return z.mul(column(scale, z)).add(column(bias, z));
    }

    private void check(Tensor x) {
        if (x.dim() != 5 || x.size(1) != scale.length)
            throw new IllegalArgumentException("latent scaling needs a (B, " + scale.length + ", T, H, W) tensor, got "
                    + Arrays.toString(Tensors.shape(x)));
    }

    /** The values as a (1, C, 1, 1, 1) float32 column on {@code like}'s device. */
    private static Tensor column(float[] v, Tensor like) {
        return Ops.toDeviceOf(Tensors.fromFloats(v, 1, v.length, 1, 1, 1), like);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LatentScale l && Arrays.equals(scale, l.scale) && Arrays.equals(bias, l.bias)
                && Arrays.equals(mean, l.mean) && Arrays.equals(std, l.std);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[]{Arrays.hashCode(scale), Arrays.hashCode(bias), Arrays.hashCode(mean), Arrays.hashCode(std)});
    }

    @Override
    public String toString() {
        return "LatentScale[scale=" + Arrays.toString(scale) + ", bias=" + Arrays.toString(bias)
                + (mean == null ? "" : ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std)) + "]";
    }
}
