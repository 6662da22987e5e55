package dev.zoetrope.models.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.models.nn.Params;

/**
 * Video (B, 3, T, H, W) → (B, 2·z, T', H/8, W/8): conv1, per level residual blocks (+attention) and a
 * downsample (except after the last level), middle (residual, attention, residual), head (norm, SiLU, conv).
 */
final class Encoder3d {
    private final CausalConv3d conv1;
    private final List<VaeBlock> downsamples = new ArrayList<>();
    private final List<VaeBlock> middle;
    private final ChannelRmsNorm headNorm;
    private final CausalConv3d headConv;
    private final TimeCache.Slots slots = new TimeCache.Slots();

    Encoder3d(Params p, WanVaeConfig c, ConvMeter flops) {
        int[] dims = c.encoderDims();
        conv1 = CausalConv3d.k3(p, "encoder.conv1", 3, dims[0], slots, flops);
        double scale = 1.0;
        int levels = c.dimMult().size();
        for (int i = 0; i < levels; i++) {
            int in = dims[i], out = dims[i + 1];
            for (int r = 0; r < c.numResBlocks(); r++) {
                downsamples.add(new ResidualBlock(p, key(), in, out, slots, flops));
                if (c.attnScales().contains(scale)) downsamples.add(new AttentionBlock(p, key(), out, flops));
                in = out;
            }
            if (i != levels - 1) {
                Resample.Mode mode = c.temperalDownsample().get(i) ? Resample.Mode.DOWNSAMPLE_3D : Resample.Mode.DOWNSAMPLE_2D;
                downsamples.add(new Resample(p, key(), out, mode, slots, flops));
                scale /= 2;
            }
        }
        int top = dims[levels];
        middle = List.of(new ResidualBlock(p, "encoder.middle.0", top, top, slots, flops),
                new AttentionBlock(p, "encoder.middle.1", top, flops),
                new ResidualBlock(p, "encoder.middle.2", top, top, slots, flops));
        headNorm = new ChannelRmsNorm(p, "encoder.head.0", top, false);
        headConv = CausalConv3d.k3(p, "encoder.head.2", top, 2 * c.zDim(), slots, flops);
    }

    private String key() {
        return "encoder.downsamples." + downsamples.size();
    }

    /** Cache slots a chunked pass needs. */
    int cacheSlots() {
        return slots.count();
    }

    Tensor forward(Tensor x, TimeCache cache) {
        List<UnaryOperator<Tensor>> stages = new ArrayList<>();
        stages.add(h -> conv1.forward(h, cache));
        for (VaeBlock b : downsamples) stages.add(h -> b.forward(h, cache));
        for (VaeBlock b : middle) stages.add(h -> b.forward(h, cache));
        stages.add(h -> headConv.forward(torch.silu_(headNorm.forward(h)), cache));
        return Stages.run(x, stages);
    }
}
