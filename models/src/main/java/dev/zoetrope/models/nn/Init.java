package dev.zoetrope.models.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * How a fresh model's parameters are drawn, by {@link Role}. Draws come from libtorch's global generator in the
 * order the module tree declares its parameters, so a seed gives the same weights every time.
 */
@FunctionalInterface
public interface Init {
    /** A float32 tensor of {@code shape} for a parameter of {@code role}. */
    Tensor draw(Role role, long[] shape);

    /** The DiT's: every tensor N(0, 0.02²), norm gains 1 + N(0, 0.1²). */
    static Init dit() {
        return (role, shape) -> role == Role.GAIN
                ? torch.randn(shape).mul(Ops.scalar(0.1)).add(Ops.scalar(1.0))
                : torch.randn(shape).mul(Ops.scalar(0.02));
    }

    /** The VAE's: kernels N(0, 1/fan_in), biases 0, gains 1. */
    static Init vae() {
        return (role, shape) -> switch (role) {
            case GAIN -> torch.ones(shape);
            case BIAS -> torch.zeros(shape);
            default -> torch.randn(shape).mul(Ops.scalar(1.0 / Math.sqrt(fanIn(shape))));
        };
    }

    /**
     * T5's: matrices N(0, {@code std}²), embeddings N(0, 1), relative-position tables N(0, 0.5²), gains 1.
     * Training uses std 0.02; random test checkpoints use a wider 0.05 so small encoders carry a signal.
     */
    static Init t5(double std) {
        return (role, shape) -> switch (role) {
            case GAIN -> torch.ones(shape);
            case EMBEDDING -> torch.randn(shape);
            case TABLE -> torch.randn(shape).mul(Ops.scalar(0.5));
            default -> torch.randn(shape).mul(Ops.scalar(std));
        };
    }

    /** Inputs per output: every dim after the first. */
    static long fanIn(long[] shape) {
        long n = 1;
        for (int i = 1; i < shape.length; i++) n *= shape[i];
        return n;
    }
}
