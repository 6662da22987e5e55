package dev.zoetrope.models.bench;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.models.nn.Ops;

/**
 * Forward + backward of a 3×3×3 convolution (padding 0,1,1) three ways: a contiguous input on oneDNN, the
 * channels-last input that {@link Ops#conv3d} uses when training, and libtorch's native kernels (oneDNN off).
 * Each reports its best time and the relative max error of its input gradient against float64.
 */
public final class ConvolutionGradientBench {
    private ConvolutionGradientBench() {}

    public record Row(String name, double bestMillis, double inputGradientError) {}

    public static List<Row> run(int batch, int channels, int frames, int size, int runs) {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(3);
            Tensor x = torch.randn(batch, channels, frames, size, size);
            Tensor w = torch.randn(channels, channels, 3, 3, 3).mul(Ops.scalar(0.1));
            Tensor b = torch.randn(channels);
            Tensor upstream = torch.randn(batch, channels, frames - 2, size, size);
            Tensor reference = inputGradient(x.to(ScalarType.Double), w.to(ScalarType.Double), b.to(ScalarType.Double),
                    upstream.to(ScalarType.Double), false);
            List<Row> rows = new ArrayList<>();
            rows.add(measure("contiguous input, oneDNN", x, w, b, upstream, reference, false, runs));
            rows.add(measure("channels-last input, oneDNN (training path)", x, w, b, upstream, reference, true, runs));
            boolean before = torch.globalContext().userEnabledMkldnn();
            torch.globalContext().setUserEnabledMkldnn(false);
            try {
                rows.add(measure("native kernels (oneDNN off)", x, w, b, upstream, reference, false, runs));
            } finally {
                torch.globalContext().setUserEnabledMkldnn(before);
            }
            return rows;
        }
    }

    private static Row measure(String name, Tensor x, Tensor w, Tensor b, Tensor upstream, Tensor reference,
                               boolean trainingPath, int runs) {
        long best = Long.MAX_VALUE;
        double error = 0;
        for (int r = 0; r < runs; r++) {
            try (PointerScope scope = new PointerScope()) {
                long t0 = System.nanoTime();
                Tensor g = inputGradient(x, w, b, upstream, trainingPath);
                best = Math.min(best, System.nanoTime() - t0);
                error = Math.max(error, g.to(ScalarType.Double).sub(reference).abs().max().item().toDouble()
                        / reference.abs().max().item().toDouble());
            }
        }
        return new Row(name, best / 1e6, error);
    }

    private static Tensor inputGradient(Tensor x, Tensor w, Tensor b, Tensor upstream, boolean trainingPath) {
        Tensor xi = x.detach().requires_grad_(true);
        Tensor wi = w.detach().requires_grad_(true);
        long[] stride = {1, 1, 1}, padding = {0, 1, 1};
        Tensor y = trainingPath ? Ops.conv3d(xi, wi, b, stride, padding)
                : torch.conv3d(xi, wi, new TensorOptional(b), stride, padding, new long[]{1, 1, 1}, 1);
        y.mul(upstream).sum().backward();
        return xi.grad();
    }
}
