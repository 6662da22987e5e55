package dev.zoetrope.train.loop;

import java.util.Collection;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.Ops;

/**
 * Gradient bookkeeping on the parameters' device: global norm, clipping, zeroing. Nothing here reads a value back to the
 * host, so a step on a GPU waits for it once, when the trainer reads the step's metrics.
 */
public final class Gradients {
    private Gradients() {}

    static boolean has(Tensor p) {
        Tensor g = p.grad();
        return g != null && !g.isNull() && g.defined();
    }

    /**
     * The L2 norm over all gradients, a float64 scalar on their device: each gradient's float32 norm, squared and summed
     * in float64 in parameter order, then the root (0 on the host when no parameter has a gradient).
     */
    public static Tensor globalNorm(Collection<Tensor> params) {
        return Scopes.keep(() -> {
            try (NoGradGuard ng = new NoGradGuard()) {
                Tensor sum = null;
                for (Tensor p : params)
                    if (has(p)) {
                        Tensor n = p.grad().norm().to(ScalarType.Double);
                        sum = sum == null ? n.mul(n) : sum.add(n.mul(n));
                    }
                return sum == null ? torch.zeros(new long[0], new TensorOptions(ScalarType.Double)) : sum.sqrt();
            }
        });
    }

    /**
     * Scales gradients by {@code maxNorm / (norm + 1e-6)} when their global norm is above {@code maxNorm} (0: never);
     * returns the norm before clipping, as {@link #globalNorm}.
     */
    public static Tensor clip(Collection<Tensor> params, double maxNorm) {
        return Scopes.keep(() -> {
            Tensor norm = globalNorm(params);
            if (maxNorm > 0) {
                try (NoGradGuard ng = new NoGradGuard()) {
                    // decided on the device (libtorch 2.10 has no meta kernel for where): the factor when clipping, else
                    // exactly 1, which leaves the gradients as they are
                    Tensor over = norm.gt(Ops.scalar(maxNorm)).to(ScalarType.Double);
                    Tensor factor = torch.full(new long[0], Ops.scalar(maxNorm), Ops.like(norm)).div(norm.add(Ops.scalar(1e-6)));
                    scale(params, factor.mul(over).add(over.neg().add(Ops.scalar(1.0))));
                }
            }
            return norm;
        });
    }

    /** Multiplies every gradient by {@code factor}, a scalar tensor on their device (or the host). */
    public static void scale(Collection<Tensor> params, Tensor factor) {
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            for (Tensor p : params) if (has(p)) p.grad().mul_(factor);
        }
    }

    public static void zero(Collection<Tensor> params) {
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            for (Tensor p : params) if (has(p)) p.grad().zero_();
        }
    }
}
