package dev.zoetrope.models.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * A low-rank addition to a {@link Linear} (a LoRA adapter on one layer): {@code y += factor · (x·downᵀ)·upᵀ}. It computes
 * in {@code down}'s dtype, and the sum goes back to the layer's output dtype, so a float32 adapter trains on bf16 weights.
 *
 * @param down   (r, in)
 * @param up     (out, r)
 * @param factor strength · alpha / r
 */
public record LowRank(Tensor down, Tensor up, double factor) {
    public LowRank {
        if (down == null || up == null || down.dim() != 2 || up.dim() != 2 || up.size(1) != down.size(0))
            throw new IllegalArgumentException("a low-rank adapter needs down (r, in) and up (out, r)");
    }

    /** What the adapter adds to the layer's output for input {@code x} (…, in). */
    public Tensor apply(Tensor x) {
        Tensor in = ScalarTypes.same(x, down) ? x : x.to(ScalarTypes.of(down));
        return Ops.linear(Ops.linear(in, down, null), up, null).mul(Ops.scalar(factor));
    }

    /** The same adapter on {@code like}'s device (itself when it is there already). */
    public LowRank beside(Tensor like) {
        return new LowRank(Ops.toDeviceOf(down, like), Ops.toDeviceOf(up, like), factor);
    }

    public long rank() {
        return down.size(0);
    }
}
