package dev.zoetrope.models.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * LayerNorm over the last dim, computed and returned in float32 whatever the input dtype.
 *
 * @param weight null (with {@code bias}) for a norm without affine parameters
 */
public record LayerNorm(Tensor weight, Tensor bias, double eps) {
    /** Reads {@code name.weight} and {@code name.bias} (shape dim) when {@code affine}; they are kept in float32. */
    public static LayerNorm load(Params params, String name, long dim, boolean affine, double eps) {
        if (!affine) return new LayerNorm(null, null, eps);
        return new LayerNorm(float32(params, name + ".weight", Role.GAIN, dim), float32(params, name + ".bias", Role.BIAS, dim), eps);
    }

    public Tensor apply(Tensor x) {
        Tensor xf = ScalarTypes.cast(x, ScalarType.Float);
        return Ops.layerNorm(xf, weight, bias, eps);
    }

    public boolean affine() {
        return weight != null;
    }

    /** A small parameter that is used in float32 (norm gains, modulation tables), converted once on load. */
    public static Tensor float32(Params params, String key, Role role, long... shape) {
        Tensor t = params.get(key, role, shape);
        return ScalarTypes.is(t, ScalarType.Float) ? t : params.derived(t.to(ScalarType.Float));
    }
}
