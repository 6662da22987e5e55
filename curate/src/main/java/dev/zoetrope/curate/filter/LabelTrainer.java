package dev.zoetrope.curate.filter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.labels.LabelException;
import dev.zoetrope.curate.labels.LabelStore;

/**
 * Fits the learned filter from hand labels: a clip is good when the mean of its annotators' {@code attribute} ratings
 * is at least {@code positiveAt}. Features come from a curation run's {@code features.jsonl}
 * ({@code {"clip_id", "x": [...]}}, see {@link Features}). Reports k-fold cross-validated accuracy and AUC, then fits
 * on all labelled clips.
 */
public final class LabelTrainer {
    public record Result(LogisticModel model, CrossValidation.Result cv, int positives, int negatives) {}

    private LabelTrainer() {}

    public static Result train(LabelStore store, Path features, String attribute, double positiveAt, double l2, int folds,
                               double threshold) throws IOException {
        Map<String, double[]> x = readFeatures(features);
        Map<String, List<String>> values = store.valuesByAttribute().getOrDefault(attribute, Map.of());
        List<double[]> rows = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        for (var e : values.entrySet()) {
            double[] f = x.get(e.getKey());
            if (f == null) continue;
            double mean = e.getValue().stream().mapToDouble(Double::parseDouble).average().orElse(0);
            rows.add(f);
            ys.add(mean >= positiveAt ? 1 : 0);
        }
        if (rows.isEmpty())
            throw new LabelException("no clip has both a '" + attribute + "' label and features in " + features);
        int pos = (int) ys.stream().filter(v -> v == 1).count();
        if (pos == 0 || pos == ys.size())
            throw new LabelException("all " + ys.size() + " labelled clips are in one class; label some good and some bad clips");
        double[][] xs = rows.toArray(double[][]::new);
        int[] y = ys.stream().mapToInt(Integer::intValue).toArray();
        List<String> names = Features.names(xs[0].length - Features.BASE - Features.COLORS);
        CrossValidation.Result cv = CrossValidation.run(names, xs, y, l2, threshold, Math.min(folds, xs.length), 17);
        LogisticModel model = LogisticModel.fit(names, xs, y, l2, threshold);
        return new Result(model, cv, pos, y.length - pos);
    }

    static Map<String, double[]> readFeatures(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new LabelException(file + ": no such features file (a curation run writes features.jsonl)");
        Map<String, double[]> out = new HashMap<>();
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            n++;
            if (line.isBlank()) continue;
            JsonNode j = Json.PLAIN.readTree(line);
            JsonNode arr = j.path("x");
            if (!j.has("clip_id") || !arr.isArray()) throw new LabelException(file + ": line " + n + " needs clip_id and x");
            double[] v = new double[arr.size()];
            for (int i = 0; i < v.length; i++) v[i] = arr.get(i).asDouble();
            out.put(j.get("clip_id").asText(), v);
        }
        return out;
    }
}
