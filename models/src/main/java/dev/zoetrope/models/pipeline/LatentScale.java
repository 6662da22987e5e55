package dev.zoetrope.models.pipeline;

import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.ModelLoadException;

/**
 * The per-channel affine map between the DiT's latent space and the VAE's: {@code x = z·scale + bias} and back
 * {@code z = (x − bias)/scale}. Linum stores its own as {@code video_data_scale}/{@code video_data_bias} in the
 * DiT checkpoint; Wan uses the VAE's mean/std, i.e. scale = 1/std and bias = −mean/std.
 */
public record LatentScale(float[] scale, float[] bias) {
    public static final String SCALE_KEY = "video_data_scale";
    public static final String BIAS_KEY = "video_data_bias";

    public LatentScale {
        if (scale.length != bias.length)
            throw new IllegalArgumentException("latent scale has " + scale.length + " channels, bias " + bias.length);
        for (float s : scale)
            if (!(s != 0 && Float.isFinite(s))) throw new IllegalArgumentException("latent scale values must be finite and non-zero, got " + s);
        scale = scale.clone();
        bias = bias.clone();
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

    /** Wan's normalisation {@code x = (z − mean)/std}. */
    public static LatentScale fromMeanStd(float[] mean, float[] std) {
        float[] scale = new float[mean.length], bias = new float[mean.length];
        for (int c = 0; c < mean.length; c++) {
            scale[c] = 1f / std[c];
            bias[c] = -mean[c] / std[c];
        }
        return new LatentScale(scale, bias);
    }

    public int channels() {
        return scale.length;
    }

    /** DiT space → VAE latent for a (B, C, T, H, W) tensor. */
    public Tensor toVae(Tensor x) {
        check(x);
        return x.sub(column(bias)).div(column(scale));
    }

    /** VAE latent → DiT space. */
    public Tensor toDit(Tensor z) {
        check(z);
        return z.mul(column(scale)).add(column(bias));
    }

    private void check(Tensor x) {
        if (x.dim() != 5 || x.size(1) != scale.length)
            throw new IllegalArgumentException("latent scaling needs a (B, " + scale.length + ", T, H, W) tensor, got "
                    + Arrays.toString(Tensors.shape(x)));
    }

    private static Tensor column(float[] v) {
        return Tensors.fromFloats(v, 1, v.length, 1, 1, 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LatentScale l && Arrays.equals(scale, l.scale) && Arrays.equals(bias, l.bias);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(scale) + Arrays.hashCode(bias);
    }

    @Override
    public String toString() {
        return "LatentScale" + Arrays.toString(scale) + Arrays.toString(bias);
    }
}
