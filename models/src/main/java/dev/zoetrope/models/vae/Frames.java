package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;

/** Moves between video tensors (B, C, T, H, W) and stacks of frames (B·T, C, H, W). */
final class Frames {
    private Frames() {}

    static Tensor flatten(Tensor x) {
        return x.permute(0, 2, 1, 3, 4).reshape(x.size(0) * x.size(2), x.size(1), x.size(3), x.size(4));
    }

    static Tensor unflatten(Tensor frames, long b, long t) {
        return frames.view(b, t, frames.size(1), frames.size(2), frames.size(3)).permute(0, 2, 1, 3, 4);
    }
}
