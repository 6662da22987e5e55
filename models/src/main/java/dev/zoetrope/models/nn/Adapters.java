package dev.zoetrope.models.nn;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * Low-rank additions to a model's Linears by module name (LoRA applied on the fly): {@link Linear#load} asks for those of
 * each layer it builds. The base weights stay as they are, so one copy of them serves any set of adapters.
 */
@FunctionalInterface
public interface Adapters {
    /** No adapters. */
    Adapters NONE = (module, weight) -> List.of();

    /**
     * The additions to Linear {@code module} (model key without {@code .weight}) whose weight is {@code weight} (out, in),
     * on its device; empty for none.
     */
    List<LowRank> of(String module, Tensor weight);
}
