package dev.zoetrope.models.pipeline;

import java.util.Arrays;
import java.util.Locale;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.nn.Ops;

/**
 * One computed tensor against its reference: max |Δ| and max |expected|. Passes when max |Δ| ≤ tol·max|expected|,
 * or, for {@code exact} comparisons (token ids, integer timesteps), when every element is equal.
 *
 * @param problem why no numbers could be compared (e.g. a shape mismatch), or null
 */
public record Comparison(String name, double maxAbsDiff, double maxAbsExpected, boolean exact, String problem) {
    public static final double TOLERANCE = 1e-4;

    public double relative() {
        return maxAbsExpected == 0 ? maxAbsDiff : maxAbsDiff / maxAbsExpected;
    }

    public boolean passes(double tolerance) {
        if (problem != null) return false;
        if (exact) return maxAbsDiff == 0;
        return maxAbsDiff <= tolerance * Math.max(maxAbsExpected, Double.MIN_NORMAL) && !Double.isNaN(maxAbsDiff);
    }

    public boolean passes() {
        return passes(TOLERANCE);
    }

    /** Compares two tensors of the same shape in float64. */
    public static Comparison of(String name, Tensor got, Tensor expected) {
        return compare(name, got, expected, false);
    }

    /** Every element must be equal. */
    public static Comparison exact(String name, Tensor got, Tensor expected) {
        return compare(name, got, expected, true);
    }

    public static Comparison exact(String name, long[] got, long[] expected) {
        if (got.length != expected.length)
            return failed(name, "length " + got.length + ", expected " + expected.length, true);
        double diff = 0, max = 0;
        for (int i = 0; i < got.length; i++) {
            diff = Math.max(diff, Math.abs((double) got[i] - expected[i]));
            max = Math.max(max, Math.abs((double) expected[i]));
        }
        return new Comparison(name, diff, max, true, null);
    }

    public static Comparison failed(String name, String problem, boolean exact) {
        return new Comparison(name, Double.NaN, Double.NaN, exact, problem);
    }

    private static Comparison compare(String name, Tensor gotAnywhere, Tensor expected, boolean exact) {
        Tensor got = Ops.toHost(gotAnywhere); // golden outputs are compared on the host
        long[] g = Tensors.shape(got), e = Tensors.shape(expected);
        if (!Arrays.equals(g, e))
            return failed(name, "shape " + Arrays.toString(g) + ", expected " + Arrays.toString(e), exact);
        return Scopes.value(() -> new Comparison(name, Tensors.maxAbsDiff(got, expected), Tensors.maxAbs(expected), exact, null));
    }

    /** One line for reports: name, max abs error, relative error, verdict. */
    public String describe(double tolerance) {
        String verdict = passes(tolerance) ? "ok" : "MISMATCH";
        if (problem != null) return String.format(Locale.ROOT, "%-44s %s: %s", name, verdict, problem);
        if (exact) return String.format(Locale.ROOT, "%-44s max|Δ| %-10.3g (exact match required)  %s", name, maxAbsDiff, verdict);
        return String.format(Locale.ROOT, "%-44s max|Δ| %-10.3g rel %-10.3g  %s", name, maxAbsDiff, relative(), verdict);
    }
}
