package dev.zoetrope.models.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.SideBySide;
import dev.zoetrope.core.engine.Tensors;

/**
 * Multi-head scaled dot-product attention, {@code softmax(q·kᵀ/√d)·v}, with two exact kernels:
 * <ul>
 *   <li>{@link Kernel#FUSED}: libtorch's {@code scaled_dot_product_attention};</li>
 *   <li>{@link Kernel#CHUNKED}: matmul → softmax → matmul over cache-sized tiles (a few heads × a few hundred queries
 *       against all keys), the scores of one tile at a time in one reused buffer.</li>
 * </ul>
 * Memory stays bounded at any token count: a tile's scores never exceed the workspace bound. {@link Kernel#AUTO} times
 * both kernels on a small problem of the same kind the first time a (dtype, head dim, key length class) is seen, and
 * keeps the faster one for the life of the process.
 *
 * <p>Why not always the fused kernel on the CPU: libtorch 2.10's CPU flash attention multiplies bf16 blocks into
 * float32 through {@code cpublas::gemm(bf16, bf16 → float)}, which uses OpenBLAS's {@code sbgemm} only when libtorch
 * was built against an OpenBLAS that has it; the build used here imports no {@code sbgemm_}, so both products of every
 * block fall to libtorch's scalar reference gemm (about 1 GFLOP/s). Its float32 kernel calls OpenBLAS's
 * {@code sgemm} on small blocks from inside its own parallel loop. The tiles here go through {@code bmm}, which reaches
 * oneDNN's bf16 brgemm (docs/performance.md, "Attention at real dims").
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

        /**
         * For training on {@code device} (null: the CPU): on the CPU the tiled kernel unless {@code zoetrope.attention}
         * names another. AUTO chooses there by timing, which a busy machine can tip either way, and the two kernels round
         * differently: a seed would not give the same run. On a GPU AUTO is already a fixed choice (fused).
         */
        public static Options training(org.bytedeco.pytorch.Device device) {
            Options d = defaults();
            boolean cpu = device == null || device.is_cpu();
            return cpu && d.kernel() == Kernel.AUTO ? d.withKernel(Kernel.CHUNKED) : d;
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
     * Score bytes one tile aims at: a few MiB, so that a tile's scores stay in the caches (2 MiB of L2 per core and a
     * shared L3 on the machine this was tuned on) between the matmul that writes them, the softmax and the matmul that
     * reads them. Measured at 13 heads × 11,960 keys in bf16 on one thread: tiles of 128–256 query rows of one head
     * ran at 75% of the bf16 matmul rate, blocks of 1,024 rows over all 13 heads (318 MB of scores, through main
     * memory) at 34% (docs/performance.md, "Attention at real dims").
     */
    static final long TILE_BYTES = 6L << 20;
    /** Fewer query rows than this per matmul cost more in per-call overhead than the cache saves. */
    static final long MIN_ROWS = 64;

    /** A tile of the attention: {@code heads} heads (of one sample) × {@code rows} queries, against all keys. */
    public record Tile(long heads, long rows) {
        /** Bytes of this tile's score matrix at {@code keys} keys of {@code dtype}. */
        public long scoreBytes(long keys, DType dtype) {
            return heads * rows * keys * dtype.size();
        }
    }

    /**
     * The tile for {@code heads} heads × {@code queries} queries over {@code keys} keys: about {@link #TILE_BYTES} of
     * scores (at least {@link #MIN_ROWS} rows), never more than the workspace bound; when one head's queries all fit,
     * several heads share a tile (short sequences, cross-attention over the text).
     */
    public Tile tile(long heads, long queries, long keys, DType dtype) {
        return tile(heads, queries, keys, dtype, options.workspaceBytes());
    }

    /** {@link #tile(long, long, long, DType)} within {@code workspace} bytes of scores. */
    static Tile tile(long heads, long queries, long keys, DType dtype, long workspace) {
        long rowBytes = Math.max(1, keys * dtype.size());
        long bound = Math.max(1, workspace / rowBytes);
        long rows = Math.min(bound, Math.max(MIN_ROWS, TILE_BYTES / rowBytes));
        if (rows < queries) return new Tile(1, rows);
        long headBytes = Math.max(1, queries * rowBytes);
        long perTile = Math.max(1, Math.min(workspace, Math.max(TILE_BYTES, headBytes)) / headBytes);
        return new Tile(Math.min(heads, perTile), Math.max(1, queries));
    }

    /**
     * q, k, v (B, H, L, D) contiguous or narrowed; writes (B, Lq, H, D) into {@code out}. Tile by tile: scores into one
     * buffer reused by every tile, softmax in place, the weighted sum into a second small buffer, copied into
     * {@code out}. When autograd records (training) or on {@code meta}, the same tiles go through ops that have
     * gradients and meta kernels ({@code out=} variants have neither), on meta as one tile.
     */
    private void run(Kernel kernel, Tensor q, Tensor k, Tensor v, Tensor out) {
        long b = q.size(0), h = q.size(1), lq = q.size(2), lk = k.size(2), d = q.size(3);
        if (lq == 0) return;
        double scale = 1.0 / Math.sqrt(d);
        if (kernel == Kernel.FUSED) {
            // libtorch's own loop; blocks of queries only bound its buffers
            long rows = tile(1, lq, lk, Tensors.dtype(q)).rows();
            for (long start = 0; start < lq; start += rows) {
                long n = Math.min(rows, lq - start);
                try (PointerScope scope = new PointerScope()) {
                    out.narrow(1, start, n).copy_(fused(q.narrow(2, start, n), k, v, scale).transpose(1, 2));
                }
            }
            return;
        }
        boolean recorded = q.is_meta() || GradMode.is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
        // without autograd, the tiles side by side on the CPU's threads, one libtorch thread each (SideBySide), each worker
        // with its own buffers within its share of the workspace
        int workers = q.is_cpu() && !recorded ? SideBySide.workers() : 1;
        Tile tile = q.is_meta() ? new Tile(h, lq) : tile(h, lq, lk, Tensors.dtype(q), options.workspaceBytes() / workers);
        List<long[]> all = new ArrayList<>();
        for (long s = 0; s < b; s++)
            for (long h0 = 0; h0 < h; h0 += tile.heads())
                for (long r0 = 0; r0 < lq; r0 += tile.rows()) all.add(new long[]{s, h0, r0});
        int pieces = (int) Math.min(workers, all.size());
        // the scaled q is freed on return, before the caller's output projection
        try (PointerScope scope = new PointerScope()) {
            Tensor qs = q.mul(Ops.scalar(scale)), kt = k.transpose(-1, -2);
            SideBySide.run(pieces, piece -> {
                // contiguous shares, so a worker goes through one head's tiles and keeps its keys and values in its caches
                int from = (int) ((long) all.size() * piece / pieces), to = (int) ((long) all.size() * (piece + 1) / pieces);
                try (PointerScope workerScope = new PointerScope()) {
                    tiles(qs, kt, v, out, tile, all.subList(from, to), recorded);
                }
            });
        }
    }

    /**
     * The given tiles ({sample, first head, first query row}) of scaled {@code qs} against {@code kt} (keys transposed)
     * and {@code v}, into {@code out}: scores into one buffer reused by every tile, softmax in place, the weighted sum into
     * a second small buffer, copied into {@code out}. When {@code recorded} (autograd, or {@code meta}), through ops that
     * have gradients and meta kernels ({@code out=} variants have neither).
     */
    private static void tiles(Tensor qs, Tensor kt, Tensor v, Tensor out, Tile tile, List<long[]> which, boolean recorded) {
        long h = qs.size(1), lq = qs.size(2), lk = kt.size(3), d = qs.size(3);
        Tensor scores = null, weighted = null;
        if (!recorded) {
            scores = torch.empty(new long[]{tile.heads() * tile.rows() * lk}, Ops.like(qs), new MemoryFormatOptional());
            weighted = torch.empty(new long[]{tile.heads() * tile.rows() * d}, Ops.like(qs), new MemoryFormatOptional());
        }
        for (long[] t : which) {
            long s = t[0], h0 = t[1], r0 = t[2];
            long nh = Math.min(tile.heads(), h - h0), nr = Math.min(tile.rows(), lq - r0);
            try (PointerScope scope = new PointerScope()) {
                Tensor qt = qs.select(0, s).narrow(0, h0, nh).narrow(1, r0, nr);
                Tensor kh = kt.select(0, s).narrow(0, h0, nh), vh = v.select(0, s).narrow(0, h0, nh);
                Tensor o;
                if (recorded) {
                    o = torch.matmul(torch.softmax(torch.matmul(qt, kh), -1), vh);
                } else {
                    // prefixes of the flat buffers: contiguous (nh, nr, ·) views for the out= kernels
                    Tensor sc = scores.narrow(0, 0, nh * nr * lk).view(nh, nr, lk);
                    torch.bmm_out(sc, qt, kh);
                    // bf16 softmax computes in float32 and rounds once (AttentionTest); in place, row by row
                    torch.softmax_out(sc, sc, -1);
                    o = torch.bmm_out(weighted.narrow(0, 0, nh * nr * d).view(nh, nr, d), sc, vh);
                }
                out.select(0, s).narrow(0, r0, nr).narrow(1, h0, nh).copy_(o.transpose(0, 1));
            }
        }
    }

    private static Tensor fused(Tensor q, Tensor k, Tensor v, double scale) {
        return torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, false, new DoubleOptional(scale), false);
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
