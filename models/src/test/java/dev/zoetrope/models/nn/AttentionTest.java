package dev.zoetrope.models.nn;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

class AttentionTest {
    static final int B = 2, L = 480, H = 2, D = 16;
    static final long SMALL = 1L << 20;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** Textbook masked attention in float64 with an explicit L×L mask; fully masked rows are 0. */
    static Tensor reference(Tensor q, Tensor k, Tensor v, long[] valid) {
        Tensor qh = q.to(ScalarType.Double).transpose(1, 2), kh = k.to(ScalarType.Double).transpose(1, 2);
        Tensor vh = v.to(ScalarType.Double).transpose(1, 2);
        Tensor scores = torch.matmul(qh, kh.transpose(-1, -2)).mul(Ops.scalar(1.0 / Math.sqrt(D)));
        double[] add = new double[B * L * L], rows = new double[B * L];
        for (int b = 0; b < B; b++)
            for (int i = 0; i < L; i++) {
                boolean qValid = valid == null || i < valid[b];
                rows[b * L + i] = qValid ? 1 : 0;
                for (int j = 0; j < L; j++) {
                    boolean ok = qValid && (valid == null || j < valid[b]);
                    add[(b * L + i) * L + j] = ok ? 0 : -1e30;
                }
            }
        Tensor p = torch.softmax(scores.add(Tensors.fromDoubles(add, B, 1, L, L)), -1);
        Tensor out = torch.matmul(p, vh).mul(Tensors.fromDoubles(rows, B, 1, L, 1));
        return out.transpose(1, 2);
    }

    static void assertNear(Tensor expected, Tensor actual, String what) {
        double diff = Tensors.maxAbsDiff(expected, actual), scale = Tensors.maxAbs(expected);
        assertTrue(diff <= 1e-5 * scale, what + ": max|Δ| " + diff + " vs scale " + scale);
    }

    @Test
    void chunkedEqualsUnchunkedEqualsFusedWithPaddingMasks() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(7);
            Tensor q = torch.randn(B, L, H, D), k = torch.randn(B, L, H, D), v = torch.randn(B, L, H, D);
            Attention chunkedSmall = new Attention(new Attention.Options(Attention.Kernel.CHUNKED, SMALL));
            Attention.Tile small = chunkedSmall.tile(H, L, L, DType.F32);
            assertTrue(small.heads() < H || small.rows() < L, "the small workspace must cut the work into several tiles: " + small);
            Attention[] kernels = {
                    new Attention(new Attention.Options(Attention.Kernel.FUSED, Attention.Options.DEFAULT_WORKSPACE)),
                    new Attention(new Attention.Options(Attention.Kernel.CHUNKED, Attention.Options.DEFAULT_WORKSPACE)),
                    chunkedSmall,
                    new Attention(new Attention.Options(Attention.Kernel.FUSED, SMALL)),
                    new Attention(new Attention.Options(Attention.Kernel.AUTO, SMALL))};
            for (long[] valid : new long[][]{null, {L, 250}, {300, 300}, {0, 17}}) {
                Tensor expected = reference(q, k, v, valid);
                for (Attention a : kernels) {
                    Tensor out = a.apply(q, k, v, valid);
                    assertArrayEquals(new long[]{B, L, H, D}, Tensors.shape(out));
                    assertNear(expected, out, a.options() + " valid " + java.util.Arrays.toString(valid));
                    if (valid != null && valid[1] < L)
                        assertEquals(0.0, Tensors.maxAbs(out.narrow(0, 1, 1).narrow(1, valid[1], L - valid[1])), "masked rows are 0");
                }
            }
            assertFalse(Attention.calibrated().isEmpty(), "AUTO records its measured choice");
        }
    }

    @Test
    void crossAttentionWithFewerKeys() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(8);
            Tensor q = torch.randn(B, 333, H, D), k = torch.randn(B, 12, H, D), v = torch.randn(B, 12, H, D);
            Tensor expected = torch.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)).transpose(1, 2);
            Tensor out = new Attention(new Attention.Options(Attention.Kernel.CHUNKED, SMALL)).apply(q, k, v, null);
            assertNear(expected, out, "chunked cross-attention");
        }
    }

    @Test
    void workspaceBoundHoldsAt720pFiveSeconds() {
        // 720p 5 s: 31 latent frames × 45 × 80 patches = 111,600 tokens, 13 heads
        Attention a = new Attention(Attention.Options.defaults().withKernel(Attention.Kernel.CHUNKED));
        Attention tight = new Attention(new Attention.Options(Attention.Kernel.CHUNKED, SMALL));
        for (DType d : new DType[]{DType.BF16, DType.F32})
            for (Attention at : new Attention[]{a, tight}) {
                Attention.Tile t = at.tile(13, 111_600, 111_600, d);
                long bytes = t.scoreBytes(111_600, d);
                assertTrue(t.rows() >= 1 && bytes <= at.options().workspaceBytes(), d + ": " + t + " needs " + bytes + " bytes");
            }
    }

    @Test
    void tilesStayCacheSizedAndGroupHeadsOfShortSequences() {
        Attention a = new Attention(Attention.Options.defaults().withKernel(Attention.Kernel.CHUNKED));
        // 360p 2 s self-attention: one head, a few hundred rows, a few MiB of scores
        Attention.Tile self = a.tile(13, 11_960, 11_960, DType.BF16);
        assertEquals(1, self.heads());
        assertTrue(self.rows() >= 64 && self.scoreBytes(11_960, DType.BF16) <= 8L << 20, self.toString());
        // cross-attention over 256 text tokens: every query of several heads in one tile
        Attention.Tile cross = a.tile(13, 2_000, 256, DType.BF16);
        assertEquals(2_000, cross.rows());
        assertTrue(cross.heads() > 1, cross.toString());
    }

    /** The tiled kernel against float64 at small shapes, in float32 and bf16, with tiles that cut heads and rows unevenly. */
    @Test
    void tiledMatchesFloat64() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(10);
            int b = 2, l = 700, h = 3, d = 64;
            Tensor q = torch.randn(b, l, h, d), k = torch.randn(b, l, h, d), v = torch.randn(b, l, h, d);
            // 1 MiB of workspace: 374 rows of float32 scores at 700 keys, so 2 row tiles per head, the last one short
            Attention tiled = new Attention(new Attention.Options(Attention.Kernel.CHUNKED, SMALL));
            assertTrue(tiled.tile(h, l, l, DType.F32).rows() < l, "several row tiles");
            long[] valid = {l, 513};
            Tensor qd = q.to(ScalarType.Double), kd = k.to(ScalarType.Double), vd = v.to(ScalarType.Double);
            Tensor exact = tiledReference(qd, kd, vd, valid);
            Tensor f32 = tiled.apply(q, k, v, valid);
            double scale = Tensors.maxAbs(exact);
            assertTrue(Tensors.maxAbsDiff(exact, f32) <= 1e-5 * scale, "float32 vs float64: " + Tensors.maxAbsDiff(exact, f32));
            Tensor qb = q.to(ScalarType.BFloat16), kb = k.to(ScalarType.BFloat16), vb = v.to(ScalarType.BFloat16);
            Tensor bf16 = tiled.apply(qb, kb, vb, valid);
            Tensor exactOfRounded = tiledReference(qb.to(ScalarType.Double), kb.to(ScalarType.Double), vb.to(ScalarType.Double), valid);
            // bf16 inputs, float32 accumulation, bf16 scores and probabilities: a few bf16 ulps of the output's scale
            double err = Tensors.maxAbsDiff(exactOfRounded, bf16);
            assertTrue(err <= 4.0 / 256 * scale, "bf16 vs float64: " + err + " at scale " + scale);
        }
    }

    /** Per sample, attention over its valid prefix in float64; padded rows 0. */
    private static Tensor tiledReference(Tensor q, Tensor k, Tensor v, long[] valid) {
        Tensor out = torch.zeros_like(q);
        for (int s = 0; s < valid.length; s++) {
            long n = valid[s];
            Tensor qh = q.select(0, s).narrow(0, 0, n).transpose(0, 1), kh = k.select(0, s).narrow(0, 0, n).transpose(0, 1);
            Tensor vh = v.select(0, s).narrow(0, 0, n).transpose(0, 1);
            Tensor p = torch.softmax(torch.matmul(qh, kh.transpose(-1, -2)).mul(Ops.scalar(1.0 / Math.sqrt(q.size(3)))), -1);
            out.select(0, s).narrow(0, 0, n).copy_(torch.matmul(p, vh).transpose(0, 1));
        }
        return out;
    }

    @Test
    void bf16SoftmaxIsWithinOneBf16UlpOfExact() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(9);
            Tensor scores = torch.randn(8, 64, 3000).mul(Ops.scalar(4.0)).to(ScalarType.BFloat16);
            Tensor direct = torch.softmax(scores, -1).to(ScalarType.Double);
            Tensor exact = torch.softmax(scores.to(ScalarType.Double), -1);
            // relative error per element; a bf16-accumulated sum over 3000 keys would be far off
            double worst = direct.sub(exact).abs().div(exact.add(Ops.scalar(1e-30))).max().item_double();
            assertTrue(worst <= 1.0 / 256, "bf16 softmax is " + worst + " off in relative terms");
        }
    }

    @Test
    void rejectsBadOptions() {
        assertThrows(IllegalArgumentException.class, () -> new Attention.Options(Attention.Kernel.AUTO, 1000));
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> Attention.Kernel.parse("flash"));
        assertTrue(e.getMessage().contains("flash"));
    }

    @Test
    void trainingOnTheCpuPinsOneKernelUnlessThePropertyNamesOne() {
        String before = System.getProperty("zoetrope.attention");
        try {
            System.clearProperty("zoetrope.attention");
            assertEquals(Attention.Kernel.AUTO, Attention.Options.defaults().kernel());
            // timing would choose per process, and the kernels round differently: a seed must give one run
            assertEquals(Attention.Kernel.CHUNKED, Attention.Options.training(null).kernel());
            assertEquals(Attention.Kernel.CHUNKED, Attention.Options.training(new org.bytedeco.pytorch.Device("cpu")).kernel());
            Attention a = new Attention(Attention.Options.training(null));
            assertEquals(Attention.Kernel.CHUNKED, a.kernelFor(DType.F32, 2, 64, 320, 320));
            System.setProperty("zoetrope.attention", "fused");
            assertEquals(Attention.Kernel.FUSED, Attention.Options.training(null).kernel());
        } finally {
            if (before == null) System.clearProperty("zoetrope.attention");
            else System.setProperty("zoetrope.attention", before);
        }
    }
}
