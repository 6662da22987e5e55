package dev.zoetrope.curate.filter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;

/**
 * L2-regularised logistic regression on standardised features: p(good | x) = σ(b + Σ w_i (x_i − μ_i) / s_i).
 * Fitted by Newton's method (iteratively reweighted least squares), which converges in a few steps at these sizes.
 * Saved as JSON with the feature names, so a model is checked against the features it is applied to.
 */
public record LogisticModel(@JsonProperty("features") List<String> features,
                            @JsonProperty("mean") double[] mean,
                            @JsonProperty("scale") double[] scale,
                            @JsonProperty("weights") double[] weights,
                            @JsonProperty("bias") double bias,
                            @JsonProperty("l2") double l2,
                            @JsonProperty("threshold") double threshold) {

    public double score(double[] x) {
        if (x.length != weights.length)
            throw new IllegalArgumentException("model expects " + weights.length + " features, got " + x.length);
        double z = bias;
        for (int i = 0; i < x.length; i++) z += weights[i] * (x[i] - mean[i]) / scale[i];
        return 1 / (1 + Math.exp(-z));
    }

    /** Fits on rows {@code x} with labels {@code y} (1 good, 0 bad). */
    public static LogisticModel fit(List<String> names, double[][] x, int[] y, double l2, double threshold) {
        int n = x.length, d = names.size();
        if (n == 0) throw new IllegalArgumentException("no labelled examples to fit");
        double[] mean = new double[d], scale = new double[d];
        for (double[] r : x) for (int j = 0; j < d; j++) mean[j] += r[j] / n;
        for (double[] r : x) for (int j = 0; j < d; j++) scale[j] += (r[j] - mean[j]) * (r[j] - mean[j]) / n;
        for (int j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]) > 1e-9 ? Math.sqrt(scale[j]) : 1;
        double[][] z = new double[n][d + 1];
        for (int i = 0; i < n; i++) {
            z[i][0] = 1;
            for (int j = 0; j < d; j++) z[i][j + 1] = (x[i][j] - mean[j]) / scale[j];
        }
        double[] w = new double[d + 1];
        for (int iter = 0; iter < 50; iter++) {
            double[] grad = new double[d + 1];
            double[][] hess = new double[d + 1][d + 1];
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j <= d; j++) s += w[j] * z[i][j];
                double p = 1 / (1 + Math.exp(-s));
                double r = p * (1 - p);
                for (int j = 0; j <= d; j++) {
                    grad[j] += (p - y[i]) * z[i][j];
                    for (int k = 0; k <= j; k++) hess[j][k] += r * z[i][j] * z[i][k];
                }
            }
            for (int j = 1; j <= d; j++) {
                grad[j] += l2 * w[j];
                hess[j][j] += l2;
            }
            hess[0][0] += 1e-9;
            for (int j = 0; j <= d; j++) for (int k = j + 1; k <= d; k++) hess[j][k] = hess[k][j];
            double[] step = solve(hess, grad);
            double change = 0;
            for (int j = 0; j <= d; j++) {
                w[j] -= step[j];
                change = Math.max(change, Math.abs(step[j]));
            }
            if (change < 1e-8) break;
        }
        double[] weights = new double[d];
        System.arraycopy(w, 1, weights, 0, d);
        return new LogisticModel(List.copyOf(names), mean, scale, weights, w[0], l2, threshold);
    }

    /** Solves A x = b for symmetric positive-definite A by Cholesky decomposition. */
    private static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = i == j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j][j];
            }
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i][k] * y[k];
            y[i] = s / l[i][i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k][i] * x[k];
            x[i] = s / l[i][i];
        }
        return x;
    }

    public void save(Path file) throws IOException {
        AtomicFiles.writeString(file, Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(this) + "\n");
    }

    public static LogisticModel load(Path file) {
        LogisticModel m;
        try {
            m = Json.PLAIN.treeToValue(Json.readTree(file), LogisticModel.class);
        } catch (IOException e) {
            throw new ConfigException(file + ": not a filter model: " + e.getMessage(), e);
        }
        if (m.weights == null || m.features == null || m.mean == null || m.scale == null
                || m.weights.length != m.features.size() || m.mean.length != m.weights.length || m.scale.length != m.weights.length)
            throw new ConfigException(file + ": filter model is inconsistent (features, mean, scale and weights must have equal lengths)");
        return m;
    }
}
