package dev.zoetrope.models.nn;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;

/**
 * A dense layer {@code y = x·Wᵀ + b}. It computes in the weight's dtype: the input is cast to it, so a
 * float32 residual stream feeds bf16 weights without a copy of the weights.
 *
 * @param bias     null for a layer without bias
 * @param adapters low-rank additions applied on the fly (LoRA), in order; usually none
 */
public record Linear(Tensor weight, Tensor bias, List<LowRank> adapters) {
    public Linear {
        if (weight == null) throw new IllegalArgumentException("a Linear needs a weight");
        adapters = adapters == null ? List.of() : List.copyOf(adapters);
    }

    public Linear(Tensor weight, Tensor bias) {
        this(weight, bias, List.of());
    }

    /**
     * Reads {@code name.weight} (shape out×in) and, if {@code withBias}, {@code name.bias} (shape out) from
     * {@code params}. The bias is converted to the weight's dtype, as the matmul needs. The layer carries the adapters
     * {@code params} has for {@code name} ({@link Params#adapters}).
     */
    public static Linear load(Params params, String name, long out, long in, boolean withBias) {
        Tensor w = params.get(name + ".weight", Role.WEIGHT, out, in);
        Tensor b = null;
        if (withBias) {
            b = params.get(name + ".bias", Role.BIAS, out);
            if (!ScalarTypes.same(b, w)) b = params.derived(b.to(ScalarTypes.of(w)));
        }
        // each adapter's tensors live as long as the parameters (they may be copies made for the weight's device)
        List<LowRank> adapters = params.adapters().of(name, w).stream()
                .map(a -> new LowRank(params.derived(a.down()), params.derived(a.up()), a.factor())).toList();
        return new Linear(w, b, adapters);
    }

    public Tensor apply(Tensor x) {
        Tensor in = ScalarTypes.same(x, weight) ? x : x.to(ScalarTypes.of(weight));
        Tensor y = Ops.linear(in, weight, bias);
        for (LowRank a : adapters) y = y.add(a.apply(x).to(y.scalar_type()));
        return y;
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
