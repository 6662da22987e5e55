package dev.zoetrope.train.synth;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.DirectoryManifest;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.train.synth.SynthSpec.Combination;
import dev.zoetrope.video.Mp4Writer;

/**
 * Plans and writes the synthetic world's clips. Clip {@code i} depends only on (seed, split, settings, i),
 * so a run can stop at any point and a later run with the same settings completes it, skipping clips
 * already written; every file is written atomically.
 */
public final class SynthWorld {
    /** Which combinations to draw from. */
    public enum Split {
        /** The 72 combinations that are not held out. */
        TRAIN,
        /** Only the 12 held-out combinations. */
        HELDOUT,
        /** All 84. */
        ALL,
        /** The combinations of the colours the shipped models never saw (pink), but the held-out ones: a LoRA's lesson. */
        NOVEL,
        /** The 72 seen combinations (white objects left out) on the backgrounds the shipped models never saw (white). */
        NOVEL_BACKGROUND,
        /** The motions the shipped models never saw (diagonals, standing still), but the 15 held-out combinations: a LoRA's lesson. */
        NOVEL_MOTION;

        public static Split parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "train" -> TRAIN;
                case "heldout", "held-out" -> HELDOUT;
                case "all" -> ALL;
                case "novel" -> NOVEL;
                case "novel-background" -> NOVEL_BACKGROUND;
                case "novel-motion" -> NOVEL_MOTION;
                default -> throw new InvalidRequestException("unknown split '" + text
                        + "' (train, heldout, all, novel, novel-background or novel-motion)");
            };
        }

        List<Combination> combinations() {
            return switch (this) {
                case TRAIN -> SynthSpec.seenCombinations();
                case HELDOUT -> SynthSpec.heldOutCombinations();
                case ALL -> SynthSpec.combinations();
                case NOVEL -> SynthSpec.novelCombinations().stream().filter(c -> !c.heldOut()).toList();
                case NOVEL_BACKGROUND -> SynthSpec.seenCombinations().stream()
                        .filter(c -> SynthSpec.visible(c, SynthSpec.BACKGROUNDS.size())).toList();
                case NOVEL_MOTION -> SynthSpec.novelMotionCombinations().stream().filter(c -> !c.heldOut()).toList();
            };
        }

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Clip geometry and which split to draw. */
    public record Settings(int width, int height, int frames, double fps, Split split) {
        public Settings {
            Objects.requireNonNull(split, "split");
            if (width < 32 || height < 32 || width > 4096 || height > 4096)
                throw new InvalidRequestException("clip size must be within 32..4096, got " + width + "x" + height);
            if (frames < 2 || frames > 10_000) throw new InvalidRequestException("frames must be within 2..10000, got " + frames);
            if (!(fps > 0 && fps <= 240)) throw new InvalidRequestException("fps must be within (0, 240], got " + fps);
        }

        /** 64×64, 17 frames at 8 fps, training split. */
        public static Settings defaults() {
            return new Settings(64, 64, 17, 8, Split.TRAIN);
        }
    }

    /** What a run did. */
    public record Result(int written, int skipped, int heldOut, Path dir) {}

    static final String MANIFEST = "synth.json";
    static final String INDEX = "clips.jsonl";

    private SynthWorld() {}

    public static String clipId(int index) {
        return String.format(Locale.ROOT, "clip-%06d", index);
    }

    /**
     * Plans clip {@code index}: a combination from the split, a background and template, then an object
     * size, a straight path and a speed that keep the whole object inside the picture on every frame.
     */
    public static SynthClip plan(Settings s, long seed, int index) {
        SplittableRandom rnd = new SplittableRandom(mix(seed, s.split().ordinal(), index));
        List<Combination> pool = s.split().combinations();
        Combination combo = pool.get(rnd.nextInt(pool.size()));
        int background = s.split() == Split.NOVEL_BACKGROUND
                ? SynthSpec.BACKGROUNDS.size() + rnd.nextInt(SynthSpec.NOVEL_BACKGROUNDS.size())
                : rnd.nextInt(SynthSpec.BACKGROUNDS.size());
        int template = rnd.nextInt(SynthSpec.TEMPLATES.size());
        return place(s, clipId(index), index, combo, background, template, rnd);
    }

    /**
     * Places a given combination: draws from {@code rnd} an object size, a straight path and a speed that
     * keep the whole object inside the picture on every frame. Evaluation uses it to render the ground
     * truth of a prompt.
     */
    public static SynthClip place(Settings s, String id, int index, Combination combo, int background, int template,
                                  SplittableRandom rnd) {
        SynthSpec.Direction dir = SynthSpec.MOTIONS.get(combo.direction());
        if (dir.diagonal() || dir.still()) return placeNovel(s, id, index, combo, background, template, rnd, dir);

        int minSide = Math.min(s.width(), s.height());
        double margin = Math.max(2, 0.03 * minSide);
        // At least two latent cells (8 px each) across, so a shape survives the VAE's 8× compression.
        double size = minSide * rnd.nextDouble(0.30, 0.45);
        double along = dir.horizontal() ? s.width() : s.height();
        double across = dir.horizontal() ? s.height() : s.width();
        double lo = margin + size / 2, hi = along - margin - size / 2; // where the box centre may be
        double travel = (hi - lo) * rnd.nextDouble(0.35, 1.0);
        int sign = dir.dx + dir.dy;
        double start = sign > 0 ? rnd.nextDouble(lo, hi - travel + 1e-9) : rnd.nextDouble(lo + travel, hi + 1e-9);
        double side = rnd.nextDouble(margin + size / 2, across - margin - size / 2);
        double speed = sign * travel / (s.frames() - 1);
        double x0 = dir.horizontal() ? start : side, y0 = dir.horizontal() ? side : start;
        double vx = dir.horizontal() ? speed : 0, vy = dir.horizontal() ? 0 : speed;
        return new SynthClip(id, index, combo, background, template, s.width(), s.height(), s.frames(), s.fps(),
                size, x0, y0, vx, vy, combo.heldOut());
    }

    /**
     * {@link #place} for a novel motion: for a diagonal the same travel along both axes, so the path runs at 45 degrees;
     * standing still, none.
     */
    private static SynthClip placeNovel(Settings s, String id, int index, Combination combo, int background, int template,
                                           SplittableRandom rnd, SynthSpec.Direction dir) {
        int minSide = Math.min(s.width(), s.height());
        double margin = Math.max(2, 0.03 * minSide);
        double size = minSide * rnd.nextDouble(0.30, 0.45);
        double lo = margin + size / 2, hiX = s.width() - margin - size / 2, hiY = s.height() - margin - size / 2;
        double travel = dir.still() ? 0 : (Math.min(hiX, hiY) - lo) * rnd.nextDouble(0.35, 1.0);
        double x0 = axisStart(rnd, dir.dx, lo, hiX, travel), y0 = axisStart(rnd, dir.dy, lo, hiY, travel);
        double speed = travel / (s.frames() - 1);
        return new SynthClip(id, index, combo, background, template, s.width(), s.height(), s.frames(), s.fps(),
                size, x0, y0, dir.dx * speed, dir.dy * speed, combo.heldOut());
    }

    /** Where a box centre starts on one axis so that moving {@code travel} px in direction {@code sign} stays in [lo, hi]. */
    private static double axisStart(SplittableRandom rnd, int sign, double lo, double hi, double travel) {
        return sign > 0 ? rnd.nextDouble(lo, hi - travel + 1e-9) : rnd.nextDouble(lo + travel, hi + 1e-9);
    }

    /** SplitMix-style mixing so neighbouring seeds and indexes give unrelated streams. */
    private static long mix(long seed, int split, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + split * 0xC2B2AE3D27D4EB4FL + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Writes clips 0..count-1 into {@code dir} (mp4 + JSON sidecar each) and an index {@value #INDEX},
     * skipping clips already complete. {@code progress} may be null for no bar.
     */
    public static Result generate(Path dir, int count, long seed, Settings settings, int jobs, PrintStream progress)
            throws IOException {
        if (count < 0) throw new InvalidRequestException("count must be >= 0, got " + count);
        if (jobs < 1) throw new InvalidRequestException("jobs must be >= 1, got " + jobs);
        Files.createDirectories(dir);
        checkManifest(dir, seed, settings);
        removeStaleTemporaries(dir);
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < count; i++) if (!complete(dir, i)) todo.add(i);
        int skipped = count - todo.size();
        try (ProgressBar bar = progress == null ? ProgressBar.silent(count, null)
                : new ProgressBar("synth", count, "clips", progress, null)) {
            bar.stepTo(skipped);
            runAll(todo, jobs, i -> {
                writeClip(dir, plan(settings, seed, i), seed);
                bar.step();
            });
        }
        int heldOut = writeIndex(dir, count, seed, settings);
        return new Result(todo.size(), skipped, heldOut, dir);
    }

    private interface ClipTask {
        void run(int index) throws IOException;
    }

    private static void runAll(List<Integer> indexes, int jobs, ClipTask task) throws IOException {
        if (jobs == 1) {
            for (int i : indexes) task.run(i);
            return;
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(jobs)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i : indexes) futures.add(pool.submit(() -> {
                task.run(i);
                return null;
            }));
            try {
                for (Future<?> f : futures) f.get();
            } catch (ExecutionException e) {
                pool.shutdownNow();
                switch (e.getCause()) {
                    case IOException io -> throw io;
                    case RuntimeException re -> throw re;
                    case Error err -> throw err;
                    default -> throw new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                pool.shutdownNow();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted; run again to continue", e);
            }
        }
    }

    /** Renders, encodes and describes one clip; the sidecar is written last and marks the clip complete. */
    static void writeClip(Path dir, SynthClip clip, long seed) throws IOException {
        Mp4Writer.writeAll(dir.resolve(clip.id() + ".mp4"), SynthRenderer.render(clip), clip.fps());
        Json.write(dir.resolve(clip.id() + ".json"), SynthSidecar.of(clip, seed));
    }

    static boolean complete(Path dir, int index) {
        String id = clipId(index);
        return Files.isRegularFile(dir.resolve(id + ".json")) && Files.isRegularFile(dir.resolve(id + ".mp4"));
    }

    /** A directory holds one world: a second run must use the same seed and settings to resume it. */
    private static void checkManifest(Path dir, long seed, Settings s) throws IOException {
        Manifest wanted = new Manifest(seed, s.width(), s.height(), s.frames(), s.fps(), s.split().word());
        DirectoryManifest.claim(dir.resolve(MANIFEST), wanted, Manifest.class, Manifest::describe);
    }

    record Manifest(long seed, int width, int height, int frames, double fps, String split) {
        String describe() {
            return String.format(Locale.ROOT, "seed %d, %dx%d, %d frames at %s fps, split %s", seed, width, height, frames,
                    fps, split);
        }
    }

    /** Deletes the hidden temporary files of clips a killed run left half-written. */
    private static void removeStaleTemporaries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(".clip-") && name.endsWith(".part")) Files.deleteIfExists(p);
            }
        }
    }

    /** One line per clip: id, split, captions, files. Streamed, so it scales to any count. Returns how many are held out. */
    private static int writeIndex(Path dir, int count, long seed, Settings settings) throws IOException {
        int[] heldOut = {0};
        AtomicFiles.writeStream(dir.resolve(INDEX), out -> {
            for (int i = 0; i < count; i++) {
                SynthClip c = plan(settings, seed, i);
                if (c.heldOut()) heldOut[0]++;
                var line = Json.PLAIN.createObjectNode().put("id", c.id()).put("split", c.split()).put("caption", c.caption())
                        .put("canonical_caption", c.canonicalCaption()).put("video", c.id() + ".mp4")
                        .put("sidecar", c.id() + ".json");
                out.write(Json.PLAIN.writeValueAsBytes(line));
                out.write('\n');
            }
        });
        return heldOut[0];
    }

    /** Reads the sidecars listed in a world directory's index. */
    public static List<SynthSidecar> readIndex(Path dir) {
        Path index = dir.resolve(INDEX);
        try (Stream<String> lines = Files.lines(index)) {
            return lines.filter(l -> !l.isBlank()).map(l -> {
                try {
                    JsonNode node = Json.PLAIN.readTree(l);
                    return SynthSidecar.read(dir.resolve(node.get("sidecar").asText()));
                } catch (IOException e) {
                    throw new UncheckedIOException(index + ": bad line: " + e.getMessage(), e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(index + ": cannot read: " + e.getMessage(), e);
        }
    }
}
