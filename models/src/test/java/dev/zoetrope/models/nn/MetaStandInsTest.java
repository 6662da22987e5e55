package dev.zoetrope.models.nn;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

/**
 * Where libtorch 2.10 has no {@code meta} kernel (convolution, layer_norm, index_select, SDPA, mse_loss's and clamp's
 * backward), the op wrappers compute on meta with ops that have one. On the CPU those stand-ins give the kernels' values,
 * so on meta they are the same functions; and on meta their autograd graph reaches every input, so a training step
 * runs there.
 */
class MetaStandInsTest {
    @BeforeAll
    static void engine() {
        Engine.init();
        torch.manual_seed(3);
    }

    static Tensor meta(long... shape) {
        return torch.empty(shape, new TensorOptions(new Device("meta")).dtype(new ScalarTypeOptional(ScalarType.Float)),
                new MemoryFormatOptional());
    }

    static Tensor trainable(Tensor t) {
        return t.requires_grad_(true);
    }

    /** Backpropagates the sum of {@code out} and checks each input got a gradient of its own shape on meta. */
    static void gradientsReachOnMeta(String op, Tensor out, Tensor... inputs) {
        assertTrue(out.is_meta(), op);
        out.sum().backward();
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = inputs[i].grad();
            assertTrue(g.defined(), op + ": input " + i + " received a gradient");
            assertTrue(g.is_meta(), op + ": input " + i + "'s gradient is on meta");
            assertArrayEquals(Tensors.shape(inputs[i]), Tensors.shape(g), op + ": input " + i);
        }
    }

    @Test
    void theConvolutionStandInIsTheConvolution() {
        try (PointerScope s = new PointerScope()) {
            Tensor x = torch.randn(2, 3, 5, 7, 6), w = torch.randn(4, 3, 3, 3, 3), b = torch.randn(4);
            long[] stride = {1, 2, 2}, padding = {1, 1, 0};
            Tensor expected = torch.conv3d(x, w, new TensorOptional(b), stride, padding, new long[]{1, 1, 1}, 1);
            Tensor got = Ops.convByTaps(x, w, b, stride, padding);
            assertArrayEquals(Tensors.shape(expected), Tensors.shape(got));
            assertEquals(0, Tensors.maxAbsDiff(expected, got), 1e-4 * Tensors.maxAbs(expected));

            Tensor x2 = torch.randn(1, 2, 9, 8), w2 = torch.randn(3, 2, 3, 3);
            Tensor expected2 = torch.conv2d(x2, w2, new TensorOptional(), new long[]{2, 2}, new long[]{0, 0}, new long[]{1, 1}, 1);
            assertEquals(0, Tensors.maxAbsDiff(expected2, Ops.convByTaps(x2, w2, null, new long[]{2, 2}, new long[]{0, 0})),
                    1e-4 * Tensors.maxAbs(expected2));
        }
    }

    @Test
    void theLayerNormAndEmbeddingStandInsAreTheKernels() {
        try (PointerScope s = new PointerScope()) {
            Tensor x = torch.randn(3, 5, 16).mul(Ops.scalar(4)).add(Ops.scalar(2)), w = torch.randn(16), b = torch.randn(16);
            Tensor expected = torch.layer_norm(x, new long[]{16}, new TensorOptional(w), new TensorOptional(b), 1e-6, false);
            assertEquals(0, Tensors.maxAbsDiff(expected, Ops.layerNormByOps(x, w, b, 1e-6)), 1e-5);
            Tensor plain = torch.layer_norm(x, new long[]{16}, new TensorOptional(), new TensorOptional(), 1e-6, false);
            assertEquals(0, Tensors.maxAbsDiff(plain, Ops.layerNormByOps(x, null, null, 1e-6)), 1e-5);

            Tensor table = torch.randn(10, 4), ids = Tensors.fromLongs(new long[]{3, 0, 9, 3, 7, 1}, 2, 3);
            Tensor rows = Ops.embeddingByGather(table, ids);
            assertArrayEquals(new long[]{2, 3, 4}, Tensors.shape(rows));
            assertEquals(0.0, Tensors.maxAbsDiff(torch.embedding(table, ids), rows), "a lookup copies rows exactly");
        }
    }

    @Test
    void everyStandInCarriesGradientsOnMeta() {
        try (PointerScope s = new PointerScope()) {
            Tensor x = trainable(meta(2, 3, 5, 7, 6)), w = trainable(meta(4, 3, 3, 3, 3)), b = trainable(meta(4));
            Tensor y = Ops.conv3d(x, w, b, new long[]{1, 2, 2}, new long[]{1, 1, 0});
            assertArrayEquals(new long[]{2, 4, 5, 4, 2}, Tensors.shape(y), "the convolution's output shape");
            gradientsReachOnMeta("conv3d", y, x, w, b);

            Tensor x2 = trainable(meta(1, 2, 9, 8)), w2 = trainable(meta(3, 2, 3, 3)), b2 = trainable(meta(3));
            gradientsReachOnMeta("conv2d", Ops.conv2d(x2, w2, b2, new long[]{1, 1}, new long[]{1, 1}), x2, w2, b2);

            Tensor h = trainable(meta(3, 5, 16)), g = trainable(meta(16)), beta = trainable(meta(16));
            gradientsReachOnMeta("layer_norm", Ops.layerNorm(h, g, beta, 1e-6), h, g, beta);

            Tensor table = trainable(meta(10, 4));
            Tensor ids = torch.empty(new long[]{2, 3}, new TensorOptions(new Device("meta")).dtype(new ScalarTypeOptional(ScalarType.Long)),
                    new MemoryFormatOptional());
            Tensor rows = Ops.embedding(table, ids);
            assertArrayEquals(new long[]{2, 3, 4}, Tensors.shape(rows));
            gradientsReachOnMeta("embedding", rows, table);

            Tensor q = trainable(meta(2, 4, 6, 8)), k = trainable(meta(2, 4, 5, 8)), v = trainable(meta(2, 4, 5, 8));
            gradientsReachOnMeta("sdpa", Ops.scaledDotProductAttention(q, k, v), q, k, v);

            Attention attention = new Attention(Attention.Options.defaults());
            for (long[] valid : new long[][]{null, {3, 6}}) {
                Tensor aq = trainable(meta(2, 6, 4, 8)), ak = trainable(meta(2, 6, 4, 8)), av = trainable(meta(2, 6, 4, 8));
                Tensor out = attention.apply(aq, ak, av, valid);
                assertArrayEquals(new long[]{2, 6, 4, 8}, Tensors.shape(out));
                gradientsReachOnMeta("attention" + (valid == null ? "" : " with padding"), out, aq, ak, av);
            }

            Tensor p = trainable(meta(4, 3)), t = meta(4, 3);
            Tensor loss = Ops.mseLoss(p, t);
            assertEquals(0, loss.dim(), "the loss is a scalar");
            gradientsReachOnMeta("mse_loss", loss, p);

            Tensor c = trainable(meta(4, 3));
            gradientsReachOnMeta("clamp", Ops.clamp(c, -30.0, 20.0), c);
        }
    }

    @Test
    void inferenceOnMetaNeedsOnlyTheConvolutionsShape() {
        try (PointerScope s = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            Tensor y = Ops.conv3d(meta(1, 3, 5, 7, 6), meta(4, 3, 3, 3, 3), meta(4), new long[]{1, 2, 2}, new long[]{1, 1, 0});
            assertTrue(y.is_meta());
            assertArrayEquals(new long[]{1, 4, 5, 4, 2}, Tensors.shape(y));
        }
    }

    /** The wrappers' CPU path is libtorch's own kernel, unchanged: the stand-ins are for meta only. */
    @Test
    void theCpuKeepsLibtorchsKernels() {
        try (PointerScope s = new PointerScope()) {
            Tensor p = torch.randn(5, 7), t = torch.randn(5, 7);
            assertEquals(0.0, Tensors.maxAbsDiff(torch.mse_loss(p, t), Ops.mseLoss(p, t)));
            Tensor lv = torch.randn(50).mul(Ops.scalar(40));
            assertEquals(0.0, Tensors.maxAbsDiff(torch.clamp(lv, new org.bytedeco.pytorch.ScalarOptional(Ops.scalar(-30.0)),
                    new org.bytedeco.pytorch.ScalarOptional(Ops.scalar(20.0))), Ops.clamp(lv, -30.0, 20.0)));
            assertEquals(20.0, Tensors.maxAbs(Ops.clamp(lv, -30.0, 20.0).clamp_min(Ops.scalar(0))), 0.0, "clamped on the CPU");
        }
    }
}
