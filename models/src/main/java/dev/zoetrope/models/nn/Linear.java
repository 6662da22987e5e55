package dev.zoetrope.models.nn;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;

/**
 * A dense layer {@code y = x·Wᵀ + b}. It computes in the weight's dtype: the input is cast to it, so a
 * float32 residual stream feeds bf16 weights without a copy of the weights.
 *
 * @param bias null for a layer without bias
 */
public record Linear(Tensor weight, Tensor bias) {
    public Linear {
        if (weight == null) throw new IllegalArgumentException("a Linear needs a weight");
    }

    /**
     * Reads {@code name.weight} (shape out×in) and, if {@code withBias}, {@code name.bias} (shape out) from
     * {@code params}. The bias is converted to the weight's dtype, as the matmul needs.
     */
    public static Linear load(Params params, String name, long out, long in, boolean withBias) {
        Tensor w = params.get(name + ".weight", Role.WEIGHT, out, in);
        Tensor b = null;
        if (withBias) {
            b = params.get(name + ".bias", Role.BIAS, out);
            if (!ScalarTypes.same(b, w)) b = params.derived(b.to(ScalarTypes.of(w)));
        }
        return new Linear(w, b);
    }

    public Tensor apply(Tensor x) {
        Tensor in = ScalarTypes.same(x, weight) ? x : x.to(ScalarTypes.of(weight));
        return Ops.linear(in, weight, bias);
    }

    public long inFeatures() {
        return weight.size(1);
    }

    public long outFeatures() {
        return weight.size(0);
    }

    public DType dtype() {
        return Tensors.dtype(weight);
    }
}
