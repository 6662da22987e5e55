package dev.zoetrope.core.engine;

import java.util.Arrays;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Moving data between Java arrays and engine tensors, and small facts about tensors. The factories start the
 * engine if nothing has yet, so the natives are always loaded the safe way ({@link Engine#init()}).
 */
public final class Tensors {
    private Tensors() {}

    public static long[] shape(Tensor t) {
        int n = (int) t.dim();
        long[] s = new long[n];
        for (int i = 0; i < n; i++) s[i] = t.size(i);
        return s;
    }

    public static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public static DType dtype(Tensor t) {
        return DType.of(t.scalar_type());
    }

    /** A new float32 tensor holding a copy of {@code data}. */
    public static Tensor fromFloats(float[] data, long... shape) {
        check(data.length, shape);
        Engine.init();
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Float), new MemoryFormatOptional());
        new FloatPointer(t.data_ptr()).put(data);
        return t;
    }

    public static Tensor fromDoubles(double[] data, long... shape) {
        check(data.length, shape);
        Engine.init();
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Double), new MemoryFormatOptional());
        new DoublePointer(t.data_ptr()).put(data);
        return t;
    }

    public static Tensor fromLongs(long[] data, long... shape) {
        check(data.length, shape);
        Engine.init();
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Long), new MemoryFormatOptional());
        new LongPointer(t.data_ptr()).put(data);
        return t;
    }

    /** A new tensor of {@code dtype} and {@code shape} from raw little-endian bytes. */
    public static Tensor fromBytes(byte[] data, DType dtype, long... shape) {
        if (numel(shape) * dtype.size() != data.length)
            throw new IllegalArgumentException(data.length + " bytes do not hold " + dtype + " " + Arrays.toString(shape));
        Engine.init();
        Tensor t = torch.empty(shape, new TensorOptions(dtype.scalarType()), new MemoryFormatOptional());
        new BytePointer(t.data_ptr()).put(data);
        return t;
    }

    /** The elements of {@code t} as float32, in row-major order (any dtype, any strides). */
    public static float[] toFloats(Tensor t) {
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            Tensor c = t.to(ScalarType.Float).contiguous();
            float[] out = new float[Math.toIntExact(c.numel())];
            if (out.length > 0) new FloatPointer(c.data_ptr()).get(out); // an empty tensor may have no data pointer
            return out;
        }
    }

    public static double[] toDoubles(Tensor t) {
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            Tensor c = t.to(ScalarType.Double).contiguous();
            double[] out = new double[Math.toIntExact(c.numel())];
            if (out.length > 0) new DoublePointer(c.data_ptr()).get(out); // an empty tensor may have no data pointer
            return out;
        }
    }

    public static long[] toLongs(Tensor t) {
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            Tensor c = t.to(ScalarType.Long).contiguous();
            long[] out = new long[Math.toIntExact(c.numel())];
            if (out.length > 0) new LongPointer(c.data_ptr()).get(out); // an empty tensor may have no data pointer
            return out;
        }
    }

    /** The raw bytes of {@code t} in its own dtype, row-major. */
    public static byte[] toBytes(Tensor t) {
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            Tensor c = t.contiguous();
            byte[] out = new byte[Math.toIntExact(c.nbytes())];
            if (out.length > 0) new BytePointer(c.data_ptr()).get(out); // an empty tensor may have no data pointer
            return out;
        }
    }

    /** Max |a−b| over all elements, computed in float64. */
    public static double maxAbsDiff(Tensor a, Tensor b) {
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            return a.to(ScalarType.Double).sub(b.to(ScalarType.Double)).abs().max().item_double();
        }
    }

    /**
     * Peak signal to noise of {@code actual} against {@code reference}, in dB: the reference's range (max − min) over the
     * RMS difference, computed in float64.
     */
    public static double psnr(Tensor reference, Tensor actual) {
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            Tensor r = reference.to(ScalarType.Double);
            double range = r.max().item_double() - r.min().item_double();
            double mse = actual.to(ScalarType.Double).sub(r).square().mean().item_double();
            return 10 * Math.log10(range * range / mse);
        }
    }

    public static double maxAbs(Tensor a) {
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            return a.to(ScalarType.Double).abs().max().item_double();
        }
    }

    private static void check(int length, long[] shape) {
        if (numel(shape) != length)
            throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(shape));
    }
}
