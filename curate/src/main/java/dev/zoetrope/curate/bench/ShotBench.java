package dev.zoetrope.curate.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.shots.ShotDetector;
import dev.zoetrope.curate.testset.GroundTruth;
import dev.zoetrope.curate.testset.Scorer;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.FilterSource;
import dev.zoetrope.video.SyntheticSources;
import dev.zoetrope.video.VideoReader;

/**
 * Shot detection on the validation corpus's multi-shot videos, ours ({@link ShotDetector}) against FFmpeg's own
 * {@code scdet} filter, on the same frames: each video decoded and scaled by FFmpeg to the detector's analysis width.
 * Accuracy is matched against the truth within ±2 frames, as the scorer does; speed is frames per second of wall time,
 * decoding included, the detectors taking turns video by video so a busy machine slows both alike.
 */
public final class ShotBench {
    /** One detector's totals: boundaries (cuts and fades) and hard cuts alone, frames and seconds. */
    public record Row(String detector, Scorer.Counts boundaries, Scorer.Counts cuts, long frames, double seconds) {
        public double framesPerSecond() {
            return frames / seconds;
        }
    }

    private ShotBench() {}

    /** Ours, then scdet at each threshold (its scene score in percent; FFmpeg's default is 10). */
    public static List<Row> run(Path testset, double[] scdetThresholds, int tolerance) {
        GroundTruth truth = Json.read(testset.resolve("truth.json"), GroundTruth.class);
        int n = 1 + scdetThresholds.length;
        int[][] all = new int[n][3], cuts = new int[n][3];
        long[] frames = new long[n];
        double[] seconds = new double[n];
        for (GroundTruth.CutVideo v : truth.cutVideos()) {
            Path file = testset.resolve("videos").resolve(v.file());
            List<Integer> boundaries = new ArrayList<>(v.cuts());
            boundaries.addAll(v.fades());
            for (int d = 0; d < n; d++) {
                long t0 = System.nanoTime();
                Detected det = d == 0 ? ours(file) : scdet(file, scdetThresholds[d - 1]);
                seconds[d] += (System.nanoTime() - t0) / 1e9;
                frames[d] += v.frames();
                add(all[d], Scorer.match(boundaries, det.boundaries(), tolerance));
                // Hard cuts alone: recall against the cuts; a detection at a fade is not counted against them.
                int[] c = Scorer.match(v.cuts(), det.boundaries(), tolerance);
                add(cuts[d], new int[]{c[0], 0, c[2]});
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int d = 0; d < n; d++)
            rows.add(new Row(d == 0 ? "zoetrope ShotDetector" : String.format(Locale.ROOT, "ffmpeg scdet threshold=%s", scdetThresholds[d - 1]),
                    counts(all[d]), counts(cuts[d]), frames[d], seconds[d]));
        return rows;
    }

    private record Detected(List<Integer> boundaries, long frames) {}

    private static Detected ours(Path file) {
        ShotDetector detector = new ShotDetector();
        long frames = 0;
        try (VideoReader r = VideoReader.open(file, ShotDetector.ANALYSIS_WIDTH, height(file))) {
            for (Frame f; (f = r.next()) != null; frames++) detector.accept(new Picture(f.width(), f.height(), f.rgb()));
        }
        return new Detected(detector.finish().boundaries(), frames);
    }

    /** The frames scdet marks (it sets {@code lavfi.scd.time} on them; {@code metadata=mode=select} keeps only those). */
    private static Detected scdet(Path file, double threshold) {
        String graph = String.format(Locale.ROOT, "%s,scale=%d:%d,scdet=threshold=%s,metadata=mode=select:key=lavfi.scd.time",
                SyntheticSources.movie(file), ShotDetector.ANALYSIS_WIDTH, height(file), threshold);
        List<Integer> marked = new ArrayList<>();
        try (FilterSource s = SyntheticSources.open(graph)) {
            double fps = s.fps();
            for (Frame f; (f = s.next()) != null; ) marked.add((int) Math.round(f.timeSeconds() * fps));
        }
        return new Detected(marked, 0);
    }

    private static int height(Path file) {
        try (VideoReader r = VideoReader.open(file)) {
            return Math.max(2, Math.round((float) r.info().height() * ShotDetector.ANALYSIS_WIDTH / r.info().width()) & ~1);
        }
    }

    private static void add(int[] acc, int[] v) {
        for (int i = 0; i < 3; i++) acc[i] += v[i];
    }

    private static Scorer.Counts counts(int[] c) {
        return new Scorer.Counts(c[0], c[1], c[2]);
    }

    /** The table printed by {@code zoetrope bench shots}. */
    public static String table(List<Row> rows) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-30s %9s %9s %7s %11s %10s %9s%n", "detector",
                "precision", "recall", "F1", "cut recall", "frames/s", "vs ours"));
        double ours = rows.getFirst().framesPerSecond();
        for (Row r : rows)
            s.append(String.format(Locale.ROOT, "%-30s %9.3f %9.3f %7.3f %11.3f %10.0f %9.2f%n", r.detector(),
                    r.boundaries().precision(), r.boundaries().recall(), r.boundaries().f1(), r.cuts().recall(),
                    r.framesPerSecond(), r.framesPerSecond() / ours));
        return s.toString();
    }
}
