package dev.zoetrope.train.loop;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.Ops;

/**
 * AdamW with decoupled weight decay over named parameters. Its state is a set of named tensors, so a
 * checkpoint can hold it and a resumed run continues bit for bit.
 *
 * <p>Weight decay applies to matrices and convolution kernels only (dim ≥ 2): norms, biases and
 * modulation vectors are left alone, as is usual for transformers.
 */
public final class AdamW implements AutoCloseable {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>();
    private final Map<String, Tensor> expAvgSq = new LinkedHashMap<>();
    private final double beta1, beta2, eps, weightDecay;
    private long step;

    public AdamW(Map<String, Tensor> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (var e : params.entrySet()) {
            expAvg.put(e.getKey(), Scopes.pin(torch.zeros_like(e.getValue())));
            expAvgSq.put(e.getKey(), Scopes.pin(torch.zeros_like(e.getValue())));
        }
    }

    /** One update with learning rate {@code lr}, from the gradients now in the parameters. */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            for (var e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor g = p.grad();
                if (g == null || g.isNull() || !g.defined()) continue;
                Tensor m = expAvg.get(e.getKey()), v = expAvgSq.get(e.getKey());
                if (weightDecay > 0 && p.dim() >= 2) p.mul_(Ops.scalar(1 - lr * weightDecay));
                m.mul_(Ops.scalar(beta1)).add_(g, Ops.scalar(1 - beta1));
                v.mul_(Ops.scalar(beta2)).addcmul_(g, g, Ops.scalar(1 - beta2));
                Tensor denom = v.div(Ops.scalar(bc2)).sqrt_().add_(Ops.scalar(eps));
                p.addcdiv_(m, denom, Ops.scalar(-lr / bc1));
            }
        }
    }

    public long stepCount() {
        return step;
    }

    /** State for a checkpoint: {@code exp_avg.<name>}, {@code exp_avg_sq.<name>} and the step count. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        expAvg.forEach((k, t) -> out.put("exp_avg." + k, t));
        expAvgSq.forEach((k, t) -> out.put("exp_avg_sq." + k, t));
        return out;
    }

    /** Restores the state written by {@link #state()}; every parameter must be present with its shape. */
    public void load(Map<String, Tensor> state, long stepCount) {
        try (NoGradGuard ng = new NoGradGuard()) {
            for (String k : params.keySet()) {
                copy(state, "exp_avg." + k, expAvg.get(k));
                copy(state, "exp_avg_sq." + k, expAvgSq.get(k));
            }
        }
        this.step = stepCount;
    }

    private static void copy(Map<String, Tensor> state, String key, Tensor into) {
        Tensor t = state.get(key);
        if (t == null) throw new InvalidRequestException("checkpoint lacks optimizer state '" + key + "'");
        if (!java.util.Arrays.equals(dev.zoetrope.core.engine.Tensors.shape(t), dev.zoetrope.core.engine.Tensors.shape(into)))
            throw new InvalidRequestException("optimizer state '" + key + "' has the wrong shape");
        into.copy_(t);
    }

    @Override
    public void close() {
        expAvg.values().forEach(Scopes::release);
        expAvgSq.values().forEach(Scopes::release);
        expAvg.clear();
        expAvgSq.clear();
    }
}
