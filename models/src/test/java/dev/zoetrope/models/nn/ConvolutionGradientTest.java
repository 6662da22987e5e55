package dev.zoetrope.models.nn;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.zoetrope.core.engine.Engine;

/**
 * The training path's convolution gradients against float64 (libtorch's native kernels). The shapes are the
 * VAE's full-resolution layers: few channels, 64×64 and more, batches above one, where the contiguous oneDNN
 * kernels on AVX-512 CPUs return wrong input gradients.
 */
class ConvolutionGradientTest {
    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** Relative max error of float32 input, weight and bias gradients against float64. */
    static double[] gradientErrors(boolean threeD, long batch, long in, long out, long frames, long size) {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(7);
            Tensor x = threeD ? torch.randn(batch, in, frames, size, size) : torch.randn(batch, in, size, size);
            Tensor w = (threeD ? torch.randn(out, in, 3, 3, 3) : torch.randn(out, in, 3, 3)).mul(Ops.scalar(0.2));
            Tensor b = torch.randn(out);
            Tensor[][] grads = new Tensor[2][];
            Tensor upstream = null;
            for (ScalarType dt : new ScalarType[]{ScalarType.Float, ScalarType.Double}) {
                Tensor xi = x.to(dt).detach().requires_grad_(true), wi = w.to(dt).detach().requires_grad_(true);
                Tensor bi = b.to(dt).detach().requires_grad_(true);
                Tensor y = threeD ? Ops.conv3d(xi, wi, bi, new long[]{1, 1, 1}, new long[]{0, 1, 1})
                                  : Ops.conv2d(xi, wi, bi, new long[]{1, 1}, new long[]{1, 1});
                if (upstream == null) upstream = torch.randn(y.sizes().vec().get());
                y.mul(upstream.to(dt)).sum().backward();
                grads[ScalarTypes.same(dt, ScalarType.Float) ? 0 : 1] = new Tensor[]{xi.grad(), wi.grad(), bi.grad()};
            }
            double[] errors = new double[3];
            for (int i = 0; i < 3; i++) {
                Tensor ref = grads[1][i];
                errors[i] = grads[0][i].to(ScalarType.Double).sub(ref).abs().max().item().toDouble()
                        / ref.abs().max().item().toDouble();
            }
            return errors;
        }
    }

    @ParameterizedTest(name = "{0}d batch {1}, {2}→{3} channels, {5}×{5}")
    @CsvSource({
            "3, 4, 8, 8, 5, 64", "3, 2, 8, 3, 11, 64", "3, 4, 16, 16, 5, 32", "3, 1, 8, 8, 5, 64",
            "2, 4, 8, 8, 1, 64", "2, 8, 8, 8, 1, 128", "2, 4, 3, 8, 1, 64", "2, 4, 8, 3, 1, 64"})
    void gradientsMatchFloat64(int dims, long batch, long in, long out, long frames, long size) {
        double[] e = gradientErrors(dims == 3, batch, in, out, frames, size);
        assertTrue(e[0] < 1e-4, "input gradient off by " + e[0]);
        assertTrue(e[1] < 1e-4, "weight gradient off by " + e[1]);
        assertTrue(e[2] < 1e-4, "bias gradient off by " + e[2]);
    }

    @Test
    void inferenceKeepsItsLayout() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = torch.randn(2, 4, 3, 8, 8);
            assertSame(x, Ops.gradientSafeLayout(x));
            Tensor g = torch.randn(2, 4, 3, 8, 8).requires_grad_(true);
            assertTrue(Ops.gradientSafeLayout(g).is_contiguous(torch.MemoryFormat.ChannelsLast3d));
        }
    }
}
