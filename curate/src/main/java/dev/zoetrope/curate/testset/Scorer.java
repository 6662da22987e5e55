package dev.zoetrope.curate.testset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.pipeline.ClipExtractor;
import dev.zoetrope.curate.pipeline.SourceReport;

/**
 * Scores a curation run on the validation corpus: shot boundaries (cuts and fades, matched within ±tolerance frames,
 * each detection used once) and each filter's precision and recall on the single-shot clips, plus the share of clean
 * clips rejected for any reason.
 */
public final class Scorer {
    public record Counts(int tp, int fp, int fn) {
        public double precision() {
            return tp + fp == 0 ? 1 : (double) tp / (tp + fp);
        }

        public double recall() {
            return tp + fn == 0 ? 1 : (double) tp / (tp + fn);
        }

        public double f1() {
            double p = precision(), r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
    }

    /** Per category of single-shot clips: how many, and how many got exactly the reasons expected (none for clean ones). */
    public record Category(int clips, int asExpected) {}

    public record Score(Counts boundaries, Counts cuts, Counts fades, Map<String, Counts> filters, int cleanClips,
                        int cleanRejected, List<String> sourceProblems, Map<String, Category> categories) {
        public double cleanFalseRejectRate() {
            return cleanClips == 0 ? 0 : (double) cleanRejected / cleanClips;
        }

        public String table() {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "%-16s %9s %9s %9s %5s %5s %5s%n", "detector", "precision", "recall", "F1", "TP", "FP", "FN"));
            line(s, "boundaries±2", boundaries);
            line(s, "  hard cuts", cuts);
            line(s, "  fades", fades);
            filters.forEach((k, v) -> line(s, k, v));
            s.append(String.format(Locale.ROOT, "clean clips falsely rejected: %d of %d (%.1f%%)%n", cleanRejected, cleanClips,
                    100 * cleanFalseRejectRate()));
            s.append("sources reported and skipped: ").append(sourceProblems).append('\n');
            s.append(String.format(Locale.ROOT, "%-16s %5s %12s%n", "category", "clips", "as expected"));
            categories.forEach((k, v) -> s.append(String.format(Locale.ROOT, "%-16s %5d %12d%n", k, v.clips(), v.asExpected())));
            return s.toString();
        }

        private static void line(StringBuilder s, String name, Counts c) {
            s.append(String.format(Locale.ROOT, "%-16s %9.3f %9.3f %9.3f %5d %5d %5d%n", name, c.precision(), c.recall(), c.f1(), c.tp(), c.fp(), c.fn()));
        }
    }

    private Scorer() {}

    public static Score score(Path testset, Path run, int tolerance) throws IOException {
        GroundTruth truth = Json.read(testset.resolve("truth.json"), GroundTruth.class);
        Map<String, SourceReport> reports = new HashMap<>();
        Path markers = run.resolve("work").resolve("sources");
        try (Stream<Path> s = Files.list(markers)) {
            for (Path m : s.filter(p -> p.toString().endsWith(".json")).toList()) {
                ClipExtractor.Marker marker = Json.PLAIN.readValue(Files.readAllBytes(m), ClipExtractor.Marker.class);
                reports.put(Path.of(marker.report().source()).getFileName().toString(), marker.report());
            }
        }
        int[] all = new int[3], cut = new int[3], fade = new int[3];
        for (GroundTruth.CutVideo v : truth.cutVideos()) {
            SourceReport r = reports.get(v.file());
            List<Integer> detCuts = r == null ? List.of() : r.cuts(), detFades = r == null ? List.of() : r.fades();
            List<Integer> detAll = new ArrayList<>(new TreeSet<>(concat(detCuts, detFades)));
            add(all, match(concat(v.cuts(), v.fades()), detAll, tolerance));
            add(cut, match(v.cuts(), detCuts, tolerance));
            add(fade, match(v.fades(), detFades, tolerance));
        }
        // Decisions per source file (category clips are single-shot: one window each).
        Map<String, List<String>> reasonsByFile = new HashMap<>();
        Map<String, String> clipFile = new HashMap<>();
        for (String line : Files.readAllLines(run.resolve("manifest.jsonl"))) {
            if (line.isBlank()) continue;
            JsonNode j = Json.PLAIN.readTree(line);
            String file = Path.of(j.path("source").asText()).getFileName().toString();
            clipFile.put(j.path("clip_id").asText(), file);
            List<String> reasons = reasonsByFile.computeIfAbsent(file, k -> new ArrayList<>());
            for (JsonNode r : j.path("reasons")) reasons.add(r.asText());
        }
        Map<String, Counts> filters = new LinkedHashMap<>();
        for (String reason : List.of("static", "blurry", "too_dark", "borders", "text_overlay", "duplicate")) {
            int tp = 0, fp = 0, fn = 0;
            for (GroundTruth.Clip c : truth.clips()) {
                boolean expected = c.expect().contains(reason);
                boolean got = reasonsByFile.getOrDefault(c.file(), List.of()).contains(reason);
                if (expected && got) tp++;
                else if (got) fp++;
                else if (expected) fn++;
            }
            filters.put(reason, new Counts(tp, fp, fn));
        }
        int clean = 0, cleanRejected = 0;
        for (GroundTruth.Clip c : truth.clips()) {
            if (!c.expect().isEmpty()) continue;
            clean++;
            List<String> r = reasonsByFile.get(c.file());
            if (r == null || !r.isEmpty()) cleanRejected++;
        }
        List<String> problems = new ArrayList<>();
        for (String f : concat(truth.broken(), truth.tooShort())) {
            SourceReport r = reports.get(f);
            problems.add(f + "=" + (r == null ? "missing" : r.status()));
        }
        Map<String, Category> categories = new LinkedHashMap<>();
        for (GroundTruth.Clip c : truth.clips()) {
            List<String> got = reasonsByFile.get(c.file());
            boolean ok = got != null && new TreeSet<>(got).equals(new TreeSet<>(c.expect()));
            categories.merge(c.category(), new Category(1, ok ? 1 : 0),
                    (a, b) -> new Category(a.clips() + b.clips(), a.asExpected() + b.asExpected()));
        }
        return new Score(counts(all), counts(cut), counts(fade), filters, clean, cleanRejected, problems, categories);
    }

    /** Greedy matching of each truth frame to the nearest unused detection within the tolerance. */
    public static int[] match(List<Integer> truth, List<Integer> detected, int tolerance) {
        boolean[] used = new boolean[detected.size()];
        int tp = 0;
        for (int t : truth) {
            int best = -1;
            for (int i = 0; i < detected.size(); i++)
                if (!used[i] && Math.abs(detected.get(i) - t) <= tolerance
                        && (best < 0 || Math.abs(detected.get(i) - t) < Math.abs(detected.get(best) - t))) best = i;
            if (best >= 0) {
                used[best] = true;
                tp++;
            }
        }
        return new int[]{tp, detected.size() - tp, truth.size() - tp};
    }

    private static void add(int[] acc, int[] v) {
        for (int i = 0; i < 3; i++) acc[i] += v[i];
    }

    private static Counts counts(int[] c) {
        return new Counts(c[0], c[1], c[2]);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
