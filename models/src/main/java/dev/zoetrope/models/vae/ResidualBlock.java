package dev.zoetrope.models.vae;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.models.nn.Params;

/**
 * RMS_norm, SiLU, causal conv, RMS_norm, SiLU, (dropout: inactive at inference), causal conv; plus the input,
 * through a 1×1×1 conv when the widths differ.
 */
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
        Tensor y = Stages.run(x, List.of(
                in -> conv1.forward(torch.silu_(norm1.forward(in)), cache),
                in -> conv2.forward(torch.silu_(norm2.forward(in)), cache)));
        return y.add_(shortcut == null ? x : shortcut.forward(x, cache));
    }
}
