package dev.zoetrope.core.engine;

import java.util.Locale;
import java.util.Optional;

import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.InvalidRequestException;

/**
 * The element types that safetensors files hold, with their engine counterparts. The two fp8 types are storage
 * formats: load them with a cast ({@code Weights.load(name, F32)}) to compute with them.
 */
public enum DType {
    F64("F64", 8, ScalarType.Double),
    F32("F32", 4, ScalarType.Float),
    F16("F16", 2, ScalarType.Half),
    BF16("BF16", 2, ScalarType.BFloat16),
    I64("I64", 8, ScalarType.Long),
    I32("I32", 4, ScalarType.Int),
    I16("I16", 2, ScalarType.Short),
    I8("I8", 1, ScalarType.Char),
    U8("U8", 1, ScalarType.Byte),
    BOOL("BOOL", 1, ScalarType.Bool),
    /** fp8 with 4 exponent and 3 mantissa bits, no infinities (torch's float8_e4m3fn): max 448. */
    F8_E4M3("F8_E4M3", 1, ScalarType.Float8_e4m3fn),
    /** fp8 with 5 exponent and 2 mantissa bits, IEEE-like with infinities (torch's float8_e5m2). */
    F8_E5M2("F8_E5M2", 1, ScalarType.Float8_e5m2);

    private final String code;
    private final int size;
    private final ScalarType scalarType;

    DType(String code, int size, ScalarType scalarType) {
        this.code = code;
        this.size = size;
        this.scalarType = scalarType;
    }

    /** The name used in safetensors headers, e.g. {@code BF16}. */
    public String code() {
        return code;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    public ScalarType scalarType() {
        return scalarType;
    }

    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16 || this == F8_E4M3 || this == F8_E5M2;
    }

    /** The fp8 formats: for storing weights, never for computing with them (they dequantize on load). */
    public boolean isFloat8() {
        return this == F8_E4M3 || this == F8_E5M2;
    }

    public static Optional<DType> fromCode(String code) {
        for (DType d : values()) if (d.code.equals(code)) return Optional.of(d);
        return Optional.empty();
    }

    /** Accepts safetensors codes and the usual spellings: float32, fp32, bf16, bfloat16, half, ... */
    public static DType parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "f64", "float64", "fp64", "double" -> F64;
            case "f32", "float32", "fp32", "float" -> F32;
            case "f16", "float16", "fp16", "half" -> F16;
            case "bf16", "bfloat16" -> BF16;
            case "i64", "int64", "long" -> I64;
            case "i32", "int32", "int" -> I32;
            case "i16", "int16", "short" -> I16;
            case "i8", "int8" -> I8;
            case "u8", "uint8", "byte" -> U8;
            case "bool" -> BOOL;
            case "f8_e4m3", "float8_e4m3fn", "fp8_e4m3fn" -> F8_E4M3;
            case "f8_e5m2", "float8_e5m2", "fp8_e5m2" -> F8_E5M2;
            default -> throw new InvalidRequestException("unknown dtype '" + name
                    + "'; use one of f32, bf16, f16, f64, i64, i32, i16, i8, u8, bool, f8_e4m3, f8_e5m2");
        };
    }

    /** JavaCPP may hand back a fresh enum object for a native value, so match on the value, not identity. */
    public static DType of(ScalarType t) {
        for (DType d : values()) if (d.scalarType.value == t.value) return d;
        throw new IllegalArgumentException("no safetensors dtype for engine type " + t);
    }
}
