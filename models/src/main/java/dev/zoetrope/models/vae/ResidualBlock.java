package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;

/** RMS_norm, SiLU, causal conv, RMS_norm, SiLU, (dropout), causal conv; plus a 1×1×1 shortcut when widths differ. */
final class ResidualBlock implements VaeBlock {
    private final ChannelRmsNorm norm1;
    private final CausalConv3d conv1;
    private final ChannelRmsNorm norm2;
    private final CausalConv3d conv2;
    private final CausalConv3d shortcut;

    ResidualBlock(Params p, String key, int in, int out, TimeCache.Slots slots, ConvMeter flops) {
        norm1 = new ChannelRmsNorm(p, key + ".residual.0", in, false);
        conv1 = CausalConv3d.k3(p, key + ".residual.2", in, out, slots, flops);
        norm2 = new ChannelRmsNorm(p, key + ".residual.3", out, false);
        conv2 = CausalConv3d.k3(p, key + ".residual.6", out, out, slots, flops);
        shortcut = in != out ? CausalConv3d.k1(p, key + ".shortcut", in, out, slots, flops) : null;
    }

    @Override
    public Tensor forward(Tensor x, TimeCache cache) {
        Tensor h = shortcut == null ? x : shortcut.forward(x, cache);
        Tensor y = conv1.forward(Ops.silu(norm1.forward(x)), cache);
        y = conv2.forward(Ops.silu(norm2.forward(y)), cache);
        return y.add(h);
    }
}
