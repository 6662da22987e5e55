package dev.zoetrope.models.nn;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;

/**
 * Multi-head scaled dot-product attention, {@code softmax(q·kᵀ/√d)·v}, with two exact kernels:
 * <ul>
 *   <li>{@link Kernel#FUSED}: libtorch's {@code scaled_dot_product_attention};</li>
 *   <li>{@link Kernel#CHUNKED}: matmul → softmax → matmul, one block of queries at a time.</li>
 * </ul>
 * Both walk the queries in blocks sized so that one block's score matrix (all heads, all keys) stays under the
 * workspace bound, so memory stays bounded at any token count. {@link Kernel#AUTO} times both kernels on a
 * small problem of the same kind the first time a (dtype, head dim, key length class) is seen, and keeps the
 * faster one for the life of the process: which one wins depends on the libtorch build and the CPU (bf16 SDPA
 * can be ten times slower than bf16 matmul on some CPUs).
 *
 * <p>Padding mask: {@code validLens[b]} tokens of sample b are real, the rest padding, for queries and keys
 * alike (self-attention over the first frames of a clip). Equivalent to the mask valid(q) ∧ valid(k) with
 * fully masked rows giving 0; it is applied by attending only over each sample's valid prefix, so no mask
 * tensor of size L² is ever built and padded tokens cost nothing.
 */
public final class Attention {
    /** Which kernel computes the attention. */
    public enum Kernel {
        AUTO, FUSED, CHUNKED;

        public static Kernel parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidRequestException("unknown attention kernel '" + s + "'; use auto, fused or chunked", e);
            }
        }
    }

    /**
     * @param kernel         the kernel, or AUTO to choose by measurement
     * @param workspaceBytes bound on the score matrix of one query block (all heads, all keys)
     */
    public record Options(Kernel kernel, long workspaceBytes) {
        public static final long DEFAULT_WORKSPACE = 2L << 30;

        public Options {
            if (kernel == null) throw new IllegalArgumentException("attention kernel must be given");
            if (workspaceBytes < 1 << 20)
                throw new IllegalArgumentException("attention workspace must be at least 1 MiB, not " + workspaceBytes + " bytes");
        }

        /** AUTO with a 2 GiB workspace, unless the {@code zoetrope.attention} / {@code zoetrope.attention.workspace.mb} properties say otherwise. */
        public static Options defaults() {
            String k = System.getProperty("zoetrope.attention");
            String mb = System.getProperty("zoetrope.attention.workspace.mb");
            return new Options(k == null ? Kernel.AUTO : Kernel.parse(k),
                    mb == null ? DEFAULT_WORKSPACE : Long.parseLong(mb.trim()) << 20);
        }

        public Options withKernel(Kernel k) {
            return new Options(k, workspaceBytes);
        }
    }

    /** Shapes that behave alike for kernel choice. Keys up to 1024 are the short (cross-attention) class. */
    record ShapeClass(DType dtype, long headDim, boolean longKeys) {}

    private static final Map<ShapeClass, Kernel> CALIBRATED = new ConcurrentHashMap<>();

    private final Options options;

    public Attention(Options options) {
        this.options = options;
    }

    public Options options() {
        return options;
    }

    /**
     * Attention of {@code q} (B, Lq, H, D) over {@code k}, {@code v} (B, Lk, H, D), all of one floating dtype;
     * the result is (B, Lq, H, D) in that dtype, laid out so that merging the heads is free.
     *
     * @param validLens null, or per sample the number of leading tokens that are real (needs Lq = Lk);
     *                  the output rows of padding tokens are 0
     */
    public Tensor apply(Tensor q, Tensor k, Tensor v, long[] validLens) {
        long b = q.size(0), lq = q.size(1), h = q.size(2), d = q.size(3), lk = k.size(1);
        if (k.size(0) != b || v.size(0) != b || k.size(2) != h || v.size(2) != h || k.size(3) != d || v.size(1) != lk)
            throw new IllegalArgumentException("attention shapes do not fit: q " + Tensors.shapeString(Tensors.shape(q))
                    + ", k " + Tensors.shapeString(Tensors.shape(k)) + ", v " + Tensors.shapeString(Tensors.shape(v)));
        Ops.sameDevice("attention", q, k, v);
        // (B, H, L, D), contiguous, so that query blocks and the batch×head collapse are views
        Tensor qh = q.transpose(1, 2).contiguous(), kh = k.transpose(1, 2).contiguous(), vh = v.transpose(1, 2).contiguous();
        Kernel kernel = kernelFor(q.device(), Tensors.dtype(q), h, d, lq, lk);
        if (validLens == null) {
            Tensor out = torch.empty(new long[]{b, lq, h, d}, Ops.like(q), new MemoryFormatOptional());
            run(kernel, qh, kh, vh, out);
            return out;
        }
        if (validLens.length != b) throw new IllegalArgumentException(validLens.length + " valid lengths for a batch of " + b);
        if (lq != lk) throw new IllegalArgumentException("a padding mask needs as many queries as keys, not " + lq + " and " + lk);
        Tensor out = torch.zeros(new long[]{b, lq, h, d}, Ops.like(q));
        boolean uniform = true;
        for (long n : validLens) {
            if (n < 0 || n > lq) throw new IllegalArgumentException("valid length " + n + " outside 0.." + lq);
            uniform &= n == validLens[0];
        }
        if (uniform) {
            long n = validLens[0];
            if (n > 0) run(kernel, qh.narrow(2, 0, n), kh.narrow(2, 0, n), vh.narrow(2, 0, n), out.narrow(1, 0, n));
        } else {
            for (int i = 0; i < b; i++) {
                long n = validLens[i];
                if (n == 0) continue;
                run(kernel, qh.narrow(0, i, 1).narrow(2, 0, n), kh.narrow(0, i, 1).narrow(2, 0, n),
                        vh.narrow(0, i, 1).narrow(2, 0, n), out.narrow(0, i, 1).narrow(1, 0, n));
            }
        }
        return out;
    }

    /** The kernel {@link #apply} uses on {@code device} (null: the CPU) for these shapes. */
    public Kernel kernelFor(org.bytedeco.pytorch.Device device, DType dtype, long heads, long headDim, long queries, long keys) {
        // libtorch 2.10 has no meta kernel for scaled_dot_product_attention, but matmul and softmax have one: on meta the
        // chunked kernel gives the real shapes and an autograd graph (a training step runs there)
        if (device != null && device.is_meta()) return Kernel.CHUNKED;
        // on a GPU libtorch's fused kernels are the fast path; the timed choice is for the CPU
        if (device != null && device.is_cuda() && options.kernel() == Kernel.AUTO) return Kernel.FUSED;
        return kernelFor(dtype, heads, headDim, queries, keys);
    }

    /** The kernel {@link #apply} uses on the CPU for these shapes (calibrating on first use under AUTO). */
    public Kernel kernelFor(DType dtype, long heads, long headDim, long queries, long keys) {
        if (options.kernel() != Kernel.AUTO) return options.kernel();
        ShapeClass shape = new ShapeClass(dtype, headDim, keys > 1024);
        return CALIBRATED.computeIfAbsent(shape, s -> calibrate(s, heads, Math.min(queries, 256), Math.min(keys, 2048)));
    }

    /**
     * Score buffer a block aims at. Measured on a 2-core AVX-512 CPU, bf16, 13 heads × 11,960 keys: blocks
     * of 1,536 query rows (480 MB of scores) ran about 40% faster than blocks of 128 rows; the per-call cost
     * of the matmuls falls with the block size.
     */
    static final long PREFERRED_BLOCK_BYTES = 512L << 20;
    /** Fewer query rows than this per matmul cost more in per-call overhead than they save. */
    static final long MIN_EFFICIENT_ROWS = 128;

    /**
     * Query rows per block: the scores and probabilities of one block (all heads, all keys) always fit the
     * workspace; within that, blocks aim at about 512 MiB of scores (at least 128 rows).
     */
    public long queryBlock(long batchHeads, long keys, DType dtype) {
        long bytesPerMatrixRow = Math.max(1, batchHeads * keys * dtype.size());
        long bound = Math.max(1, options.workspaceBytes() / (2 * bytesPerMatrixRow));
        long preferred = Math.max(MIN_EFFICIENT_ROWS, PREFERRED_BLOCK_BYTES / bytesPerMatrixRow);
        return Math.min(bound, preferred);
    }

    /** q, k, v (B, H, L, D) contiguous or query-narrowed; writes (B, Lq, H, D) into {@code out}. */
    private void run(Kernel kernel, Tensor q, Tensor k, Tensor v, Tensor out) {
        long lq = q.size(2), lk = k.size(2);
        // meta tensors hold no memory: one block
        long block = q.is_meta() ? Math.max(1, lq) : queryBlock(q.size(0) * q.size(1), lk, Tensors.dtype(q));
        double scale = 1.0 / Math.sqrt(q.size(3));
        Tensor kt = k.transpose(-1, -2);
        for (long start = 0; start < lq; start += block) {
            long n = Math.min(block, lq - start);
            try (PointerScope scope = new PointerScope()) {
                Tensor qb = q.narrow(2, start, n);
                Tensor o = kernel == Kernel.FUSED ? fused(qb, k, v, scale) : matmulSoftmaxMatmul(qb, kt, v, scale);
                out.narrow(1, start, n).copy_(o.transpose(1, 2));
            }
        }
    }

    private static Tensor fused(Tensor q, Tensor k, Tensor v, double scale) {
        return torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, false, new DoubleOptional(scale), false);
    }

    /**
     * Scores in the input dtype, softmax over the keys, then the weighted sum. libtorch's CPU softmax of a
     * bf16 tensor computes in float32 and rounds once at the end (within one bf16 ulp of the exact result,
     * checked by AttentionTest), so it needs no float32 copy of the scores.
     */
    private static Tensor matmulSoftmaxMatmul(Tensor q, Tensor kt, Tensor v, double scale) {
        Tensor scores = torch.matmul(q.mul(Ops.scalar(scale)), kt);
        return torch.matmul(torch.softmax(scores, -1), v);
    }

    private Kernel calibrate(ShapeClass shape, long heads, long queries, long keys) {
        try (PointerScope scope = new PointerScope()) {
            TensorOptions opts = new TensorOptions(shape.dtype().scalarType());
            long h = Math.min(heads, 16);
            Tensor q = torch.randn(new long[]{1, h, queries, shape.headDim()}, opts);
            Tensor k = torch.randn(new long[]{1, h, keys, shape.headDim()}, opts);
            Tensor v = torch.randn(new long[]{1, h, keys, shape.headDim()}, opts);
            Tensor out = torch.empty(new long[]{1, queries, h, shape.headDim()}, opts, new MemoryFormatOptional());
            double fused = timeTwice(() -> run(Kernel.FUSED, q, k, v, out));
            double chunked = timeTwice(() -> run(Kernel.CHUNKED, q, k, v, out));
            return fused <= chunked ? Kernel.FUSED : Kernel.CHUNKED;
        }
    }

    /** Seconds of the second of two runs (the first pays one-time costs). */
    private static double timeTwice(Runnable r) {
        r.run();
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The kernels chosen so far by calibration, for reports. */
    public static Map<String, Kernel> calibrated() {
        Map<String, Kernel> out = new java.util.TreeMap<>();
        CALIBRATED.forEach((s, k) -> out.put(s.dtype().code() + " d" + s.headDim() + (s.longKeys() ? " long" : " short"), k));
        return out;
    }

    /** FLOPs of the two matmuls of one attention: QKᵀ and PV. */
    public static double flops(long batch, long heads, long queries, long keys, long headDim) {
        return 4.0 * batch * heads * queries * keys * headDim;
    }
}
