package dev.zoetrope.core.safetensors;

import java.util.Arrays;

import dev.zoetrope.core.engine.DType;

/**
 * One tensor of a weights file: an entry of a safetensors header, or a tensor of a PyTorch checkpoint.
 *
 * @param begin byte offset of the data, relative to the start of the data section (safetensors) or to the start of
 *              the tensor's storage (PyTorch checkpoints)
 * @param end   exclusive end offset: {@code begin} plus the tensor's bytes (for a PyTorch view that is not
 *              contiguous, the bytes it has once loaded, not the span it covers in its storage)
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long byteLength() {
        return end - begin;
    }

    public String describe() {
        return name + " " + dtype.code() + " " + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return describe();
    }
}
