package dev.zoetrope.models.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Element-type checks on engine tensors. The enum values that libtorch returns through JavaCPP
 * ({@code tensor.scalar_type()}) are not always the canonical Java constants, so identity comparison
 * ({@code ==}) fails at random; these compare the numeric codes.
 */
public final class ScalarTypes {
    private ScalarTypes() {}

    public static boolean is(Tensor t, ScalarType type) {
        return t.scalar_type().value == type.value;
    }

    public static boolean same(Tensor a, Tensor b) {
        return a.scalar_type().value == b.scalar_type().value;
    }

    /** Whether two element types are the same, compared by code. */
    public static boolean same(ScalarType a, ScalarType b) {
        return a.value == b.value;
    }

    /** The canonical constant of {@code t}'s element type. */
    public static ScalarType of(Tensor t) {
        int v = t.scalar_type().value;
        for (ScalarType s : ScalarType.values()) if (s.value == v) return s;
        throw new IllegalArgumentException("unknown engine element type code " + v);
    }

    /** {@code t} in {@code type}: t itself when it already is. */
    public static Tensor cast(Tensor t, ScalarType type) {
        return is(t, type) ? t : t.to(type);
    }
}
