package dev.zoetrope.models.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.models.nn.Params;

/**
 * Latent (B, z, T, h, w) → video (B, 3, 4(T−1)+1, 8h, 8w): conv1, middle (residual, attention, residual),
 * per level numResBlocks+1 residual blocks and an upsample (except after the last level), head.
 */
final class Decoder3d {
    private final CausalConv3d conv1;
    private final List<VaeBlock> middle;
    private final List<VaeBlock> upsamples = new ArrayList<>();
    private final ChannelRmsNorm headNorm;
    private final CausalConv3d headConv;
    private final TimeCache.Slots slots = new TimeCache.Slots();

    Decoder3d(Params p, WanVaeConfig c, ConvMeter flops) {
        int[] dims = c.decoderDims();
        conv1 = CausalConv3d.k3(p, "decoder.conv1", c.zDim(), dims[0], slots, flops);
        middle = List.of(new ResidualBlock(p, "decoder.middle.0", dims[0], dims[0], slots, flops),
                new AttentionBlock(p, "decoder.middle.1", dims[0], flops),
                new ResidualBlock(p, "decoder.middle.2", dims[0], dims[0], slots, flops));
        int levels = c.dimMult().size();
        List<Boolean> temporal = c.temperalUpsample();
        double scale = 1.0 / (1 << (levels - 2));
        for (int i = 0; i < levels; i++) {
            // Each upsample halves the channels, so levels after the first start from half the width.
            int in = i == 0 ? dims[i] : dims[i] / 2, out = dims[i + 1];
            for (int r = 0; r < c.numResBlocks() + 1; r++) {
                upsamples.add(new ResidualBlock(p, key(), in, out, slots, flops));
                if (c.attnScales().contains(scale)) upsamples.add(new AttentionBlock(p, key(), out, flops));
                in = out;
            }
            if (i != levels - 1) {
                Resample.Mode mode = temporal.get(i) ? Resample.Mode.UPSAMPLE_3D : Resample.Mode.UPSAMPLE_2D;
                upsamples.add(new Resample(p, key(), out, mode, slots, flops));
                scale *= 2;
            }
        }
        int last = dims[levels];
        headNorm = new ChannelRmsNorm(p, "decoder.head.0", last, false);
        headConv = CausalConv3d.k3(p, "decoder.head.2", last, 3, slots, flops);
    }

    private String key() {
        return "decoder.upsamples." + upsamples.size();
    }

    int cacheSlots() {
        return slots.count();
    }

    Tensor forward(Tensor z, TimeCache cache) {
        List<UnaryOperator<Tensor>> stages = new ArrayList<>();
        stages.add(h -> conv1.forward(h, cache));
        for (VaeBlock b : middle) stages.add(h -> b.forward(h, cache));
        for (VaeBlock b : upsamples) stages.add(h -> b.forward(h, cache));
        stages.add(h -> headConv.forward(torch.silu_(headNorm.forward(h)), cache));
        return Stages.run(z, stages);
    }
}
