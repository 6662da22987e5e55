package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;

/** Receives decoded frames as they come, one latent frame's worth at a time (1 frame, then 4 each). */
@FunctionalInterface
public interface FrameSink {
    /**
     * @param frames     (B, 3, n, H, W) float32 in roughly [−1, 1], not clamped; freed after this call
     *                   returns, so copy what must outlive it
     * @param firstFrame index of {@code frames}' first frame in the whole clip
     */
    void accept(Tensor frames, int firstFrame);
}
