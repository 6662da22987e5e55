package dev.zoetrope.train.loop;

import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.models.nn.Ops;

/**
 * Loss weights that make a small subject count. A position whose channel vector is far from its frame's median (L1 distance
 * over the channels, saturating at {@code distance}) gets up to {@code weight} times the weight of a background position,
 * and the weights are normalised to mean 1 per clip. When the subject covers a few percent of the frame, as in the
 * synthetic world, a plain mean squared error is nearly minimised by the background alone: the VAE learns grey blobs, and
 * the DiT rounds a square's corners. The VAE weighs pixels, the DiT latent positions.
 */
public final class Salience {
    private Salience() {}

    /**
     * @param x        (B, C, T, H, W) clean data
     * @param weight   weight of a fully salient position against the background (1: uniform)
     * @param distance L1 distance over the C channels at which a position counts as fully salient
     * @return (B, 1, T, H, W) weights, mean 1 per clip
     */
    public static Tensor weights(Tensor x, double weight, double distance) {
        if (!(weight >= 1)) throw new IllegalArgumentException("salient weight must be ≥ 1, got " + weight);
        if (!(distance > 0)) throw new IllegalArgumentException("salient distance must be > 0, got " + distance);
        if (x.dim() != 5) throw new IllegalArgumentException("salience wants (B, C, T, H, W) data, got " + x.dim() + " dimensions");
        if (weight == 1) return torch.ones_like(x.narrow(1, 0, 1));
        Tensor median = x.flatten(3, 4).median(3, true).get0().unsqueeze(4);
        Tensor far = x.sub(median).abs().sum(new long[]{1}, true, new ScalarTypeOptional());
        Tensor salience = far.div(Ops.scalar(distance)).clamp_max(Ops.scalar(1.0));
        Tensor w = salience.mul(Ops.scalar(weight - 1)).add(Ops.scalar(1.0));
        return w.div(w.mean(new long[]{1, 2, 3, 4}, true, new ScalarTypeOptional()));
    }
}
