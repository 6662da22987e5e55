package dev.zoetrope.curate.testset;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.video.Mp4Writer;

/**
 * Builds the validation corpus with ground truth: multi-shot videos with hard cuts and fades through black at known
 * frames, and single-shot clips per category (clean, static, blurred, dark, letterboxed/pillarboxed, burned-in text,
 * exact and re-encoded near-duplicates), plus a broken and a too-short file. Content is procedural (see {@link Scene});
 * everything is seeded, so the corpus is the same on every machine.
 */
public final class TestSetMaker {
    /** How big a corpus to make. */
    public record Size(int cutVideos, int shotsPerVideo, int perCategory, int clean, int width, int height) {
        public static final Size FULL = new Size(8, 6, 10, 24, 160, 90);
        public static final Size SMALL = new Size(2, 4, 2, 4, 96, 54);
    }

    public static final double FPS = 24;
    static final int CLIP_FRAMES = 72;
    static final int FADE_FRAMES = 8;
    static final int BLACK_FRAMES = 4;

    private final Path out;
    private final Size size;
    private final PrintStream log;
    private final SplittableRandom random = new SplittableRandom(20240611);

    public TestSetMaker(Path out, Size size, PrintStream log) {
        this.out = out;
        this.size = size;
        this.log = log;
    }

    public GroundTruth make() throws IOException {
        Path videos = out.resolve("videos");
        Files.createDirectories(videos);
        List<GroundTruth.CutVideo> cutVideos = new ArrayList<>();
        List<GroundTruth.Clip> clips = new ArrayList<>();
        int total = size.cutVideos() + size.clean() + 6 * size.perCategory() + 2;
        try (ProgressBar bar = new ProgressBar("make-testset", total, "videos", log, null)) {
            for (int v = 0; v < size.cutVideos(); v++) {
                cutVideos.add(cutVideo(videos, v));
                bar.step();
            }
            List<Long> cleanSeeds = new ArrayList<>();
            for (int i = 0; i < size.clean(); i++) {
                long seed = 1000 + i;
                cleanSeeds.add(seed);
                clips.add(clip(videos, "clean", i, seed, 1, p -> p, List.of(), null));
                bar.step();
            }
            int n = size.perCategory();
            for (int i = 0; i < n; i++, bar.step())
                clips.add(clip(videos, "static", i, 2000 + i, 0, p -> p, List.of("static"), null));
            for (int i = 0; i < n; i++, bar.step()) {
                double sigma = 1.6 + 0.1 * (i % 5);
                clips.add(clip(videos, "blurred", i, 3000 + i, 1, p -> Effects.blur(p, sigma), List.of("blurry"), null));
            }
            for (int i = 0; i < n; i++, bar.step()) {
                double gain = 0.08 + 0.02 * (i % 4);
                clips.add(clip(videos, "dark", i, 4000 + i, 1, p -> Effects.gain(p, gain), List.of("too_dark"), null));
            }
            for (int i = 0; i < n; i++, bar.step()) {
                boolean letter = i % 2 == 0;
                double frac = 0.1 + 0.02 * (i % 3);
                clips.add(clip(videos, letter ? "letterbox" : "pillarbox", i, 5000 + i, 1, p -> Effects.bars(p, frac, letter),
                        List.of("borders"), null));
            }
            String[] texts = {"BREAKING NEWS", "Subscribe now", "Episode 4: The Return", "(c) Studio 2024", "LIVE",
                    "Hello world", "www.example.org", "Chapter One", "Sale 50% off", "The End"};
            for (int i = 0; i < n; i++, bar.step()) {
                String t = texts[i % texts.length];
                clips.add(clip(videos, "text", i, 6000 + i, 1, p -> Effects.text(p, t), List.of("text_overlay"), null));
            }
            // Duplicates: byte-exact copies of clean clips, and re-renders at another size, brightness and quality.
            for (int i = 0; i < n; i++, bar.step()) {
                int of = i % size.clean();
                String original = String.format(Locale.ROOT, "clean_%02d.mp4", of);
                if (i % 2 == 0) {
                    String name = String.format(Locale.ROOT, "dup_exact_%02d.mp4", i);
                    Files.copy(videos.resolve(original), videos.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                    clips.add(new GroundTruth.Clip(name, "duplicate", List.of("duplicate"), original));
                } else {
                    String name = String.format(Locale.ROOT, "dup_reenc_%02d.mp4", i);
                    Scene scene = new Scene(cleanSeeds.get(of), hueOf(cleanSeeds.get(of)), 1);
                    int w = size.width() * 5 / 4 & ~1, h = size.height() * 5 / 4 & ~1;
                    try (Mp4Writer mw = Mp4Writer.open(videos.resolve(name), w, h, FPS, 26, "veryfast")) {
                        for (int f = 0; f < CLIP_FRAMES; f++) mw.write(Effects.gain(scene.render(f, w, h), 1.04).rgb());
                    }
                    clips.add(new GroundTruth.Clip(name, "duplicate", List.of("duplicate"), original));
                }
            }
            Files.write(videos.resolve("broken.mp4"), brokenBytes());
            bar.step();
            Scene shortScene = new Scene(9, 40, 1);
            try (Mp4Writer mw = Mp4Writer.open(videos.resolve("too_short.mp4"), size.width(), size.height(), FPS)) {
                for (int f = 0; f < 24; f++) mw.write(shortScene.render(f, size.width(), size.height()).rgb());
            }
            bar.step();
        }
        GroundTruth truth = new GroundTruth(FPS, cutVideos, clips, List.of("broken.mp4"), List.of("too_short.mp4"));
        Json.write(out.resolve("truth.json"), truth);
        return truth;
    }

    private static double hueOf(long seed) {
        return (seed * 47) % 360;
    }

    private GroundTruth.Clip clip(Path dir, String category, int i, long seed, double speed, UnaryOperator<Picture> effect,
                                  List<String> expect, String duplicateOf) throws IOException {
        String name = String.format(Locale.ROOT, "%s_%02d.mp4", category, i);
        Scene scene = new Scene(seed, hueOf(seed), speed);
        try (Mp4Writer w = Mp4Writer.open(dir.resolve(name), size.width(), size.height(), FPS)) {
            for (int f = 0; f < CLIP_FRAMES; f++) w.write(effect.apply(scene.render(f, size.width(), size.height())).rgb());
        }
        return new GroundTruth.Clip(name, category, expect, duplicateOf);
    }

    private GroundTruth.CutVideo cutVideo(Path dir, int v) throws IOException {
        String name = String.format(Locale.ROOT, "cuts_%02d.mp4", v);
        int w = size.width(), h = size.height();
        List<Integer> cuts = new ArrayList<>(), fades = new ArrayList<>();
        int frame = 0;
        double hue = random.nextDouble() * 360;
        try (Mp4Writer mw = Mp4Writer.open(dir.resolve(name), w, h, FPS)) {
            Scene previous = null;
            int previousLength = 0;
            for (int s = 0; s < size.shotsPerVideo(); s++) {
                hue += 70 + random.nextDouble() * 150;
                Scene scene = new Scene(7000 + v * 100 + s, hue, 0.6 + random.nextDouble());
                int length = 36 + random.nextInt(61);
                boolean fade = s > 0 && random.nextInt(3) == 0;
                if (s > 0 && fade) {
                    for (int i = 0; i < FADE_FRAMES; i++, frame++)
                        mw.write(Effects.gain(previous.render(previousLength + i, w, h), 1 - (i + 1) / (FADE_FRAMES + 1.0)).rgb());
                    int blackStart = frame;
                    for (int i = 0; i < BLACK_FRAMES; i++, frame++) mw.write(new byte[w * h * 3]);
                    fades.add(blackStart + BLACK_FRAMES / 2);
                    for (int i = 0; i < FADE_FRAMES; i++, frame++)
                        mw.write(Effects.gain(scene.render(i, w, h), (i + 1) / (FADE_FRAMES + 1.0)).rgb());
                } else if (s > 0) {
                    cuts.add(frame);
                }
                int start = fade ? FADE_FRAMES : 0;
                for (int i = 0; i < length; i++, frame++) mw.write(scene.render(start + i, w, h).rgb());
                previous = scene;
                previousLength = start + length;
            }
        }
        return new GroundTruth.CutVideo(name, frame, cuts, fades);
    }

    private byte[] brokenBytes() {
        byte[] b = new byte[4096];
        random.nextBytes(b);
        byte[] head = "\0\0\0\u0018ftypmp42".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        System.arraycopy(head, 0, b, 0, head.length);
        return b;
    }
}
