package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.nn.Role;
import dev.zoetrope.models.nn.Ops;

/**
 * Wan's RMS_norm over the channel axis: {@code x/max(‖x‖₂, 1e-12)·√C·γ (+β)}, i.e. F.normalize over dim 1.
 * γ has shape (C,1,1,1) for video tensors and (C,1,1) for per-frame images.
 */
final class ChannelRmsNorm {
    private static final double EPS = 1e-12;
    private final Tensor gamma;
    private final Tensor bias;
    private final double scale;

    ChannelRmsNorm(Params p, String key, int channels, boolean images) {
        this.gamma = images ? p.get(key + ".gamma", Role.GAIN, channels, 1, 1) : p.get(key + ".gamma", Role.GAIN, channels, 1, 1, 1);
        this.scale = Math.sqrt(channels);
        this.bias = images ? p.optional(key + ".bias", Role.BIAS, channels, 1, 1) : p.optional(key + ".bias", Role.BIAS, channels, 1, 1, 1);
    }

    Tensor forward(Tensor x) {
        Tensor norm = Ops.clamp(torch.linalg_vector_norm(x, Ops.scalar(2.0), new long[]{1}, true,
                new org.bytedeco.pytorch.ScalarTypeOptional()), EPS, null);
        // in place on the one fresh tensor: activations at 360p are hundreds of MB each
        Tensor y = x.div(norm).mul_(Ops.scalar(scale)).mul_(gamma);
        return bias == null ? y : y.add_(bias);
    }
}
