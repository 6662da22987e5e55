package dev.zoetrope.models.pipeline;

import java.util.Locale;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;

/**
 * The dtype the DiT and the text encoder are cast to as they load ({@code --dtype}), tensor by tensor, so a bf16
 * checkpoint never exists in float32 in memory nor the other way round. The VAE always loads in float32.
 */
public enum WeightDtype {
    /** Keep what is stored (a uniform bf16 or float32 checkpoint runs in that dtype). */
    AUTO(null),
    BF16(DType.BF16),
    F32(DType.F32);

    private final DType cast;

    WeightDtype(DType cast) {
        this.cast = cast;
    }

    /** The dtype every floating tensor is cast to on load, or null to keep the stored one. */
    public DType cast() {
        return cast;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static WeightDtype parse(String s) {
        return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "bf16", "bfloat16" -> BF16;
            case "f32", "fp32", "float32" -> F32;
            default -> throw new InvalidRequestException("--dtype must be auto, bf16 or f32, not '" + s + "'");
        };
    }

    /** Bytes the tensors of {@code w} take once loaded at this dtype (non-floating tensors stay as stored). */
    public long loadedBytes(Weights w) {
        long n = 0;
        for (String name : w.names()) {
            TensorInfo t = w.info(name).orElseThrow();
            n += cast != null && t.dtype().isFloating() ? t.numel() * cast.size() : t.byteLength();
        }
        return n;
    }
}
