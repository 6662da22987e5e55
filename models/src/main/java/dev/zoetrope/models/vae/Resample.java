package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.models.nn.Params;

/**
 * Changes resolution between levels. Upsampling: 2× nearest in space, then a 3×3 conv halving the
 * channels; the 3D variant first doubles the frames with a causal (3,1,1) time conv whose 2C output
 * channels are interleaved into 2 frames each. Downsampling: zero pad right/bottom by 1, a stride-2 3×3
 * conv; the 3D variant then halves the frames with a stride-2 (3,1,1) time conv.
 *
 * <p>The first frame of a clip is never resampled in time: it is the clip's own first chunk. Upsampling
 * therefore starts its time context after it (zeros stand in), and downsampling passes it through and
 * then uses it as the first frame of its first window.
 */
final class Resample implements VaeBlock {
    enum Mode { UPSAMPLE_2D, UPSAMPLE_3D, DOWNSAMPLE_2D, DOWNSAMPLE_3D }

    private final Mode mode;
    private final Conv2d spatial;
    private final CausalConv3d timeConv;
    /** The time conv's cache slot (its own slot exists only when it pads in time). */
    private final int slot;

    Resample(Params p, String key, int dim, Mode mode, TimeCache.Slots slots, ConvMeter flops) {
        this.mode = mode;
        boolean up = mode == Mode.UPSAMPLE_2D || mode == Mode.UPSAMPLE_3D;
        spatial = up ? new Conv2d(p, key + ".resample.1", dim, dim / 2, 3, 1, 1, flops)
                : new Conv2d(p, key + ".resample.1", dim, dim, 3, 2, 0, flops);
        timeConv = switch (mode) {
            case UPSAMPLE_3D -> new CausalConv3d(p, key + ".time_conv", dim, 2 * dim, new int[]{3, 1, 1},
                    new int[]{1, 0, 0}, new int[]{1, 1, 1}, slots, flops);
            case DOWNSAMPLE_3D -> new CausalConv3d(p, key + ".time_conv", dim, dim, new int[]{3, 1, 1},
                    new int[]{0, 0, 0}, new int[]{2, 1, 1}, slots, flops);
            default -> null;
        };
        slot = switch (mode) {
            case UPSAMPLE_3D -> timeConv.slot;
            case DOWNSAMPLE_3D -> slots.take();
            default -> -1;
        };
    }

    @Override
    public Tensor forward(Tensor x, TimeCache cache) {
        return switch (mode) {
            case UPSAMPLE_2D -> upsampleSpace(x);
            case UPSAMPLE_3D -> upsampleSpace(cache == null ? upsampleTime(x) : upsampleTime(x, cache));
            case DOWNSAMPLE_2D -> downsampleSpace(x);
            case DOWNSAMPLE_3D -> cache == null ? downsampleTime(downsampleSpace(x)) : downsampleTime(downsampleSpace(x), cache);
        };
    }

    private Tensor upsampleSpace(Tensor x) {
        Tensor f = Frames.flatten(x);
        // Nearest and nearest-exact agree for an integer factor of 2: output i reads input ⌊i/2⌋.
        Tensor up = torch.upsample_nearest2d(f, 2 * f.size(2), 2 * f.size(3));
        return Frames.unflatten(spatial.forward(up), x.size(0), x.size(2));
    }

    private Tensor downsampleSpace(Tensor x) {
        Tensor f = torch.constant_pad_nd(Frames.flatten(x), 0, 1, 0, 1);
        return Frames.unflatten(spatial.forward(f), x.size(0), x.size(2));
    }

    /** Whole clip: frame 0 stays; frames 1.. each become two, with zeros as the context before frame 1. */
    private Tensor upsampleTime(Tensor x) {
        if (x.size(2) == 1) return x;
        Tensor rest = interleave(timeConv.apply(x.narrow(2, 1, x.size(2) - 1), null));
        return torch.cat(new TensorVector(x.narrow(2, 0, 1), rest), 2);
    }

    /** Chunked: the first chunk passes (and only marks the slot); later chunks carry the last two frames. */
    private Tensor upsampleTime(Tensor x, TimeCache cache) {
        if (!cache.started(slot)) {
            cache.markStarted(slot);
            return x;
        }
        Tensor past = cache.frames(slot);
        Tensor next = CausalConv3d.tail(x, past);
        if (next.size(2) < TimeCache.FRAMES) next = torch.cat(new TensorVector(torch.zeros_like(next), next), 2);
        Tensor y = interleave(timeConv.apply(x, past));
        cache.store(slot, next);
        return y;
    }

    /** (B, 2C, T, H, W) → (B, C, 2T, H, W): channel half k becomes frame 2t+k. */
    private static Tensor interleave(Tensor y) {
        long b = y.size(0), c = y.size(1) / 2, t = y.size(2), h = y.size(3), w = y.size(4);
        return y.view(b, 2, c, t, h, w).permute(0, 2, 3, 1, 4, 5).reshape(b, c, 2 * t, h, w);
    }

    /** Whole clip: frame 0 stays, then stride-2 windows over all frames: (0,1,2), (2,3,4), ... */
    private Tensor downsampleTime(Tensor x) {
        if (x.size(2) == 1) return x;
        return torch.cat(new TensorVector(x.narrow(2, 0, 1), timeConv.apply(x, null)), 2);
    }

    /** Chunked: the first chunk passes; later chunks are preceded by the last frame of the one before. */
    private Tensor downsampleTime(Tensor x, TimeCache cache) {
        Tensor last = x.narrow(2, x.size(2) - 1, 1).clone();
        if (!cache.started(slot)) {
            cache.store(slot, last);
            return x;
        }
        Tensor y = timeConv.apply(torch.cat(new TensorVector(cache.frames(slot), x), 2), null);
        cache.store(slot, last);
        return y;
    }
}
