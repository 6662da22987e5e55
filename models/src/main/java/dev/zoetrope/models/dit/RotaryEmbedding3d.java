package dev.zoetrope.models.dit;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.nn.ScalarTypes;

/**
 * 3D rotary position embedding (theta 10000). The head dim is split into complex pairs: the first
 * {@code c − 2⌊c/3⌋} rotate with the token's frame index, the next {@code ⌊c/3⌋} with its row, the last
 * {@code ⌊c/3⌋} with its column (c = head_dim/2; 22/21/21 for 128). Axis pair j turns by
 * {@code pos / 10000^(2j/d_axis)}, d_axis being the axis's real size. Adjacent channels (x[2j], x[2j+1]) form
 * a pair. The rotation is done in the table's precision: float64 for a float32 model, float32 for a bf16 one (its
 * result is rounded to bf16 anyway, and float64 costs four times the memory traffic).
 */
final class RotaryEmbedding3d {
    static final double THETA = 10000.0;

    private RotaryEmbedding3d() {}

    /** The rotations of every token of an f×h×w grid, in (f, h, w) order: complex128 (f·h·w, 1, head_dim/2). */
    static Tensor table(int headDim, int f, int h, int w) {
        int c = headDim / 2, ch = c / 3, ct = c - 2 * ch;
        double[] ft = frequencies(ct), fh = frequencies(ch), fw = frequencies(ch);
        int n = f * h * w;
        double[] polar = new double[n * c * 2];
        int i = 0;
        for (int fi = 0; fi < f; fi++)
            for (int hi = 0; hi < h; hi++)
                for (int wi = 0; wi < w; wi++) {
                    for (double fr : ft) i = put(polar, i, fi * fr);
                    for (double fr : fh) i = put(polar, i, hi * fr);
                    for (double fr : fw) i = put(polar, i, wi * fr);
                }
        return torch.view_as_complex(Tensors.fromDoubles(polar, n, 1, c, 2));
    }

    /**
     * Rotates {@code x} (B, N, H, D), any float dtype, by the table ({@link #table}, or the same as complex64); the
     * result is float32.
     */
    static Tensor apply(Tensor x, Tensor table) {
        long b = x.size(0), n = x.size(1), heads = x.size(2), d = x.size(3);
        ScalarType real = ScalarTypes.same(table.scalar_type(), ScalarType.ComplexFloat) ? ScalarType.Float : ScalarType.Double;
        Tensor pairs = torch.view_as_complex(x.to(real).contiguous().view(b, n, heads, d / 2, 2));
        return ScalarTypes.cast(torch.view_as_real(pairs.mul(table)).view(b, n, heads, d), ScalarType.Float);
    }

    /** The table in the precision the rotation of a model computing in {@code compute} needs: see the class comment. */
    static Tensor forCompute(Tensor table, ScalarType compute) {
        boolean reduced = !ScalarTypes.same(compute, ScalarType.Float) && !ScalarTypes.same(compute, ScalarType.Double);
        return reduced ? table.to(ScalarType.ComplexFloat) : table;
    }

    /** {@code 1/θ^(2j/d)} for the {@code pairs} pairs of an axis of real size d = 2·pairs. */
    private static double[] frequencies(int pairs) {
        double[] out = new double[pairs];
        for (int j = 0; j < pairs; j++) out[j] = 1.0 / Math.pow(THETA, (2.0 * j) / (2.0 * pairs));
        return out;
    }

    private static int put(double[] polar, int i, double angle) {
        polar[i] = Math.cos(angle);
        polar[i + 1] = Math.sin(angle);
        return i + 2;
    }
}
