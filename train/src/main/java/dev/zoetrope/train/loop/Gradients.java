package dev.zoetrope.train.loop;

import java.util.Collection;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.models.nn.Ops;

/** Gradient bookkeeping: global norm, clipping, zeroing. */
public final class Gradients {
    private Gradients() {}

    static boolean has(Tensor p) {
        Tensor g = p.grad();
        return g != null && !g.isNull() && g.defined();
    }

    /** The L2 norm over all gradients. */
    public static double globalNorm(Collection<Tensor> params) {
        try (PointerScope scope = new PointerScope()) {
            double sq = 0;
            for (Tensor p : params)
                if (has(p)) {
                    double n = p.grad().norm().item_double();
                    sq += n * n;
                }
            return Math.sqrt(sq);
        }
    }

    /** Scales gradients so their global norm is at most {@code maxNorm}; returns the norm before clipping. */
    public static double clip(Collection<Tensor> params, double maxNorm) {
        double norm = globalNorm(params);
        if (maxNorm > 0 && norm > maxNorm) scale(params, maxNorm / (norm + 1e-6));
        return norm;
    }

    public static void scale(Collection<Tensor> params, double factor) {
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            for (Tensor p : params) if (has(p)) p.grad().mul_(Ops.scalar(factor));
        }
    }

    public static void zero(Collection<Tensor> params) {
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            for (Tensor p : params) if (has(p)) p.grad().zero_();
        }
    }

    /** True when every gradient is finite. */
    public static boolean finite(Collection<Tensor> params) {
        try (PointerScope scope = new PointerScope()) {
            for (Tensor p : params)
                if (has(p) && !p.grad().isfinite().all().item_bool()) return false;
            return true;
        }
    }
}
