package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Tensor;

/**
 * The model as the sampler sees it: the conditional and unconditional velocities at {@code x} and the model
 * timestep of the current step. The DiT with its two text contexts implements this; tests pass plain functions.
 */
@FunctionalInterface
public interface GuidedVelocity {
    Prediction predict(Tensor x, double timestep);

    /** The two velocities, same shape as x. */
    record Prediction(Tensor cond, Tensor uncond) {}
}
