package dev.zoetrope.core.bench;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Devices;
import dev.zoetrope.core.engine.Engine;

/** Engine kernel throughput: matmul and attention, in GFLOP/s (best of the timed runs after warm-up). */
public final class KernelBench {
    private KernelBench() {}

    public record Result(String name, double gflops, double bestSeconds, int runs) {}

    @FunctionalInterface
    interface Op {
        void run();
    }

    static double bestSeconds(Op op, int warmup, int runs) {
        return bestSeconds(op, warmup, runs, null);
    }

    /** The best time of {@code op} on {@code device} (null: the CPU), each run waiting for the device's kernels. */
    static double bestSeconds(Op op, int warmup, int runs, Device device) {
        for (int i = 0; i < warmup; i++) try (PointerScope s = new PointerScope()) { op.run(); }
        Devices.synchronize(device);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            try (PointerScope s = new PointerScope()) {
                long t = System.nanoTime();
                op.run();
                Devices.synchronize(device);
                best = Math.min(best, (System.nanoTime() - t) / 1e9);
            }
        }
        return best;
    }

    /** CPU time of this process so far (all threads, user and system), in seconds; 0 where the JVM cannot tell. */
    public static double processCpuSeconds() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return Math.max(0, os.getProcessCpuTime()) / 1e9;
        return 0;
    }

    /** An n×n by n×n matmul on the CPU. */
    public static Result matmul(DType dtype, int n, int runs) {
        return matmul(dtype, n, runs, null);
    }

    /** An n×n by n×n matmul on {@code device} (null: the CPU), its operands made there. */
    public static Result matmul(DType dtype, int n, int runs, Device device) {
        Engine.init();
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(1);
            Tensor a, b;
            if (device == null) {
                a = torch.randn(n, n).to(dtype.scalarType());
                b = torch.randn(n, n).to(dtype.scalarType());
            } else {
                TensorOptions on = new TensorOptions(device).dtype(new ScalarTypeOptional(dtype.scalarType()));
                a = torch.randn(new long[]{n, n}, on);
                b = torch.randn(new long[]{n, n}, on);
            }
            double s = bestSeconds(() -> torch.matmul(a, b), 2, runs, device);
            return new Result("matmul " + dtype.code() + " " + n + "^3", 2.0 * n * n * n / s / 1e9, s, runs);
        }
    }

    /** FLOPs of one attention: QK^T and PV. */
    public static double attentionFlops(int batch, int heads, int len, int headDim) {
        return 4.0 * batch * heads * (double) len * len * headDim;
    }

    /** Fused scaled_dot_product_attention on (1, heads, len, headDim). */
    public static Result sdpa(DType dtype, int heads, int len, int headDim, int runs) {
        Engine.init();
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(2);
            Tensor q = torch.randn(1, heads, len, headDim).to(dtype.scalarType());
            Tensor k = torch.randn(1, heads, len, headDim).to(dtype.scalarType());
            Tensor v = torch.randn(1, heads, len, headDim).to(dtype.scalarType());
            double s = bestSeconds(() -> torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, false,
                    new DoubleOptional(), false), 1, runs);
            return new Result("sdpa " + dtype.code() + " " + heads + "x" + len + "x" + headDim,
                    attentionFlops(1, heads, len, headDim) / s / 1e9, s, runs);
        }
    }

    /** The manual path: matmul, softmax in float32, matmul, one query chunk at a time. */
    public static Result manualAttention(DType dtype, int heads, int len, int headDim, int chunk, int runs) {
        Engine.init();
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(2);
            Tensor q = torch.randn(1, heads, len, headDim).to(dtype.scalarType());
            Tensor kt = torch.randn(1, heads, len, headDim).to(dtype.scalarType()).transpose(-1, -2).contiguous();
            Tensor v = torch.randn(1, heads, len, headDim).to(dtype.scalarType());
            double scale = 1.0 / Math.sqrt(headDim);
            double s = bestSeconds(() -> {
                for (int start = 0; start < len; start += chunk) {
                    try (PointerScope inner = new PointerScope()) {
                        Tensor qc = q.narrow(2, start, Math.min(chunk, len - start));
                        Tensor scores = torch.matmul(qc, kt).mul(new org.bytedeco.pytorch.Scalar(scale));
                        Tensor p = torch.softmax(scores.to(ScalarType.Float), -1).to(dtype.scalarType());
                        torch.matmul(p, v);
                    }
                }
            }, 1, runs);
            return new Result("manual " + dtype.code() + " " + heads + "x" + len + "x" + headDim + " chunk " + chunk,
                    attentionFlops(1, heads, len, headDim) / s / 1e9, s, runs);
        }
    }
}
