package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.nn.Role;

/** A per-frame 2D convolution with bias (resampling convs, attention projections). */
final class Conv2d {
    private final Tensor weight;
    private final Tensor bias;
    private final long[] stride;
    private final long[] padding;
    private final long dot;
    private final ConvMeter flops;

    Conv2d(Params p, String key, int in, int out, int kernel, int stride, int padding, ConvMeter flops) {
        this.weight = p.get(key + ".weight", Role.WEIGHT, out, in, kernel, kernel);
        this.bias = p.get(key + ".bias", Role.BIAS, out);
        this.stride = new long[]{stride, stride};
        this.padding = new long[]{padding, padding};
        this.dot = (long) in * kernel * kernel;
        this.flops = flops;
    }

    /** x: (N, C, H, W). */
    Tensor forward(Tensor x) {
        Tensor y = Ops.conv2d(x, weight, bias, stride, padding);
        flops.conv(y.numel(), dot);
        return y;
    }
}
