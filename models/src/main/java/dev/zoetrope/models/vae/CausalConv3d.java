package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.nn.Role;

/**
 * A 3D convolution that is causal in time: the time axis is padded with {@code 2·pad} frames in front
 * only, the spatial axes symmetrically. In chunked mode the front padding is replaced by the last
 * frames of the previous chunk, kept in a {@link TimeCache} slot.
 */
final class CausalConv3d {
    private final Tensor weight;
    private final Tensor bias;
    private final int frontPad;
    private final long[] spatialPad;
    private final long[] stride;
    private final long dot;
    private final ConvMeter flops;
    /** This conv's cache slot; -1 when it has no time context to carry (1-frame kernel). */
    final int slot;

    /**
     * @param kernel (t, h, w) kernel; {@code pad} is the (t, h, w) padding of the reference layer
     */
    CausalConv3d(Params p, String key, int in, int out, int[] kernel, int[] pad, int[] stride,
                 TimeCache.Slots slots, ConvMeter flops) {
        this.weight = p.get(key + ".weight", Role.WEIGHT, out, in, kernel[0], kernel[1], kernel[2]);
        this.bias = p.get(key + ".bias", Role.BIAS, out);
        this.frontPad = 2 * pad[0];
        this.spatialPad = new long[]{0, pad[1], pad[2]};
        this.stride = new long[]{stride[0], stride[1], stride[2]};
        this.dot = (long) in * kernel[0] * kernel[1] * kernel[2];
        this.flops = flops;
        this.slot = frontPad > 0 ? slots.take() : -1;
    }

    /** The dtype of the weights, which the input must have. */
    ScalarType weightType() {
        return weight.scalar_type();
    }

    /** A kernel-3 conv, padding 1, stride 1: the workhorse of the residual blocks. */
    static CausalConv3d k3(Params p, String key, int in, int out, TimeCache.Slots slots, ConvMeter flops) {
        return new CausalConv3d(p, key, in, out, new int[]{3, 3, 3}, new int[]{1, 1, 1}, new int[]{1, 1, 1}, slots, flops);
    }

    /** A 1×1×1 conv (shortcuts, conv1/conv2 around the latent). */
    static CausalConv3d k1(Params p, String key, int in, int out, TimeCache.Slots slots, ConvMeter flops) {
        return new CausalConv3d(p, key, in, out, new int[]{1, 1, 1}, new int[]{0, 0, 0}, new int[]{1, 1, 1}, slots, flops);
    }

    /**
     * Chunked mode when {@code cache} is given: the previous chunk's frames stand in for the zero padding,
     * and this chunk's last frames are remembered. Without a cache, the whole clip is zero-padded.
     */
    Tensor forward(Tensor x, TimeCache cache) {
        if (cache == null || slot < 0) return apply(x, null);
        Tensor past = cache.frames(slot);
        Tensor next = tail(x, past);
        Tensor y = apply(x, past);
        cache.store(slot, next);
        return y;
    }

    /** Convolves {@code past ++ x}, zero-padding whatever front context {@code past} (may be null) lacks. */
    Tensor apply(Tensor x, Tensor past) {
        Tensor in = x;
        int missing = frontPad;
        if (past != null && frontPad > 0) {
            in = torch.cat(new TensorVector(past, x), 2);
            missing -= (int) past.size(2);
        }
        if (missing > 0) in = torch.constant_pad_nd(in, 0, 0, 0, 0, missing, 0);
        Tensor y = Ops.conv3d(in, weight, bias, stride, spatialPad);
        flops.conv(y.numel(), dot);
        return y;
    }

    /**
     * The last {@link TimeCache#FRAMES} frames of {@code x}, as a fresh tensor; a 1-frame chunk is
     * completed with the last remembered frame so the context stays two frames deep.
     */
    static Tensor tail(Tensor x, Tensor past) {
        long t = x.size(2);
        Tensor last = x.narrow(2, Math.max(0, t - TimeCache.FRAMES), Math.min(t, TimeCache.FRAMES));
        if (last.size(2) < TimeCache.FRAMES && past != null)
            return torch.cat(new TensorVector(past.narrow(2, past.size(2) - 1, 1), last), 2);
        return last.clone();
    }
}
