package dev.zoetrope.curate.testset;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.video.FilterSource;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.Mp4Writer;
import dev.zoetrope.video.SyntheticSources;
import dev.zoetrope.video.VideoInfo;

/**
 * Builds the validation corpus with ground truth: multi-shot videos with hard cuts and fades through black at known
 * frames, and single-shot clips per category (clean, static, blurred, dark, letterboxed/pillarboxed, burned-in text,
 * exact and re-encoded near-duplicates), exposure as footage has it (night scenes with lights and lit subjects on black,
 * both clean, and a starry night, too dark), high-detail footage with 480p CRF-35 copies, plus a broken and a
 * too-short file. Content comes from FFmpeg's synthetic
 * sources through libavfilter (see {@link FilterScene}), and so do the degradations (gblur, colorlevels, pad, drawtext,
 * fade, concat, scale); everything is seeded, so the corpus is the same wherever the same FFmpeg build and font are.
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
        int w = size.width(), h = size.height();
        int hard = Math.max(1, size.perCategory() / 2);
        int total = size.cutVideos() + size.clean() + 6 * size.perCategory() + 5 * hard + 2;
        try (ProgressBar bar = new ProgressBar("make-testset", total, "videos", log, null)) {
            for (int v = 0; v < size.cutVideos(); v++) {
                cutVideos.add(cutVideo(videos, v));
                bar.step();
            }
            List<FilterScene> cleanScenes = new ArrayList<>();
            for (int i = 0; i < size.clean(); i++, bar.step()) {
                FilterScene scene = scene(1000, i);
                cleanScenes.add(scene);
                clips.add(clip(videos, "clean", i, scene.graph(w, h, "s"), List.of()));
            }
            int n = size.perCategory();
            for (int i = 0; i < n; i++, bar.step())
                clips.add(clip(videos, "static", i, scene(2000, i).frozen(w, h, "s", 10 + 5 * i), List.of("static")));
            for (int i = 0; i < n; i++, bar.step()) {
                double sigma = 3.5 + 0.2 * (i % 5);
                clips.add(clip(videos, "blurred", i, scene(3000, i).graph(w, h, "s")
                        + String.format(Locale.ROOT, ",gblur=sigma=%.2f", sigma), List.of("blurry")));
            }
            for (int i = 0; i < n; i++, bar.step()) {
                double gain = 0.08 + 0.02 * (i % 4);
                clips.add(clip(videos, "dark", i, scene(4000, i).graph(w, h, "s")
                        + String.format(Locale.ROOT, ",colorlevels=romax=%.2f:gomax=%.2f:bomax=%.2f", gain, gain, gain),
                        List.of("too_dark")));
            }
            for (int i = 0; i < n; i++, bar.step()) {
                boolean letter = i % 2 == 0;
                double frac = 0.1 + 0.02 * (i % 3);
                int bar2 = (int) Math.round((letter ? h : w) * frac);
                FilterScene scene = scene(5000, i);
                // The picture rendered at the inner size, then padded with black: exact bars.
                String graph = letter
                        ? scene.graph(w, h - 2 * bar2, "s") + String.format(Locale.ROOT, ",pad=%d:%d:0:%d:black", w, h, bar2)
                        : scene.graph(w - 2 * bar2, h, "s") + String.format(Locale.ROOT, ",pad=%d:%d:%d:0:black", w, h, bar2);
                clips.add(clip(videos, letter ? "letterbox" : "pillarbox", i, graph, List.of("borders")));
            }
            String[] texts = {"BREAKING NEWS", "Subscribe now", "Episode 4: The Return", "(c) Studio 2024", "LIVE",
                    "Hello world", "www.example.org", "Chapter One", "Sale 50% off", "The End"};
            for (int i = 0; i < n; i++, bar.step())
                clips.add(textClip(videos, i, scene(6000, i).graph(w, h, "s"), texts[i % texts.length]));
            // Duplicates: byte-exact copies of clean clips, and re-encodes at another size, brightness and quality.
            for (int i = 0; i < n; i++, bar.step()) {
                int of = i % size.clean();
                String original = String.format(Locale.ROOT, "clean_%02d.mp4", of);
                String name = String.format(Locale.ROOT, i % 2 == 0 ? "dup_exact_%02d.mp4" : "dup_reenc_%02d.mp4", i);
                if (i % 2 == 0) {
                    Files.copy(videos.resolve(original), videos.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                } else {
                    String graph = cleanScenes.get(of).graph(w, h, "s") + String.format(Locale.ROOT,
                            ",scale=%d:%d,lutrgb=r=val*1.04:g=val*1.04:b=val*1.04", w * 5 / 4 & ~1, h * 5 / 4 & ~1);
                    SyntheticSources.render(graph, videos.resolve(name), CLIP_FRAMES, 26, "veryfast");
                }
                clips.add(new GroundTruth.Clip(name, "duplicate", List.of("duplicate"), original));
            }
            // Exposure as footage has it: night scenes with lights and lit subjects on black are clean; a dark night
            // with a few specks of light (a starry sky) is too dark all the same.
            for (int i = 0; i < hard; i++, bar.step())
                clips.add(clip(videos, "night", i, new FilterScene(FilterScene.Kind.CLOUDS, 11000 + i).night(w, h, "s", 153), List.of()));
            for (int i = 0; i < hard; i++, bar.step())
                clips.add(clip(videos, "spotlit", i, scene(12000, i).spotlit(w, h, "s"), List.of()));
            for (int i = 0; i < hard; i++, bar.step())
                clips.add(clip(videos, "starry", i, new FilterScene(FilterScene.Kind.CLOUDS, 13000 + i).night(w, h, "s", 170),
                        List.of("too_dark")));
            // High-detail footage at 8x the corpus size (1280x720 for the full corpus) and a copy of each downscaled to
            // two thirds of the height (480p) and encoded at CRF 35.
            int hdW = 8 * w, hdH = 8 * h, copyH = hdH * 2 / 3 & ~1, copyW = (int) Math.round(hdW * 2 / 3.0 / 2) * 2;
            for (int i = 0; i < hard; i++) {
                FilterScene scene = scene(10000, i);
                String original = String.format(Locale.ROOT, "detail_%02d.mp4", i);
                clips.add(clip(videos, "detail", i, scene.graph(hdW, hdH, "s"), List.of()));
                bar.step();
                String copy = String.format(Locale.ROOT, "dup_480p_%02d.mp4", i);
                SyntheticSources.render(scene.graph(hdW, hdH, "s") + String.format(Locale.ROOT, ",scale=%d:%d", copyW, copyH),
                        videos.resolve(copy), CLIP_FRAMES, 35, "veryfast");
                clips.add(new GroundTruth.Clip(copy, "dup_480p", List.of("duplicate"), original));
                bar.step();
            }
            Files.write(videos.resolve("broken.mp4"), brokenBytes());
            bar.step();
            SyntheticSources.render(scene(9000, 0).graph(w, h, "s"), videos.resolve("too_short.mp4"), 24);
            bar.step();
        }
        GroundTruth truth = new GroundTruth(FPS, cutVideos, clips, List.of("broken.mp4"), List.of("too_short.mp4"));
        Json.write(out.resolve("truth.json"), truth);
        return truth;
    }

    /** The i-th scene of a category: kinds in turn, so every category holds every kind of content. */
    private static FilterScene scene(long base, int i) {
        FilterScene.Kind[] kinds = FilterScene.Kind.values();
        return new FilterScene(kinds[(int) ((base / 1000 + i) % kinds.length)], base + i);
    }

    private GroundTruth.Clip clip(Path dir, String category, int i, String graph, List<String> expect) {
        String name = String.format(Locale.ROOT, "%s_%02d.mp4", category, i);
        SyntheticSources.render(graph, dir.resolve(name), CLIP_FRAMES);
        return new GroundTruth.Clip(name, category, expect, null);
    }

    /**
     * Subtitle-like text: FFmpeg's drawtext with an installed font; without one, the same layout drawn with Java2D on
     * the generated frames.
     */
    private GroundTruth.Clip textClip(Path dir, int i, String graph, String text) {
        String name = String.format(Locale.ROOT, "text_%02d.mp4", i);
        int h = size.height();
        Optional<String> drawtext = SyntheticSources.drawtext(text, "max(2,(w-text_w)/2)", "h-h/8-ascent",
                Java2dSubtitles.fontSize(h), "white", Math.max(1, Math.round(h / 60f)), "black");
        if (drawtext.isPresent()) {
            SyntheticSources.render(graph + "," + drawtext.get(), dir.resolve(name), CLIP_FRAMES);
        } else {
            try (FilterSource src = SyntheticSources.open(graph, CLIP_FRAMES);
                 Mp4Writer w = Mp4Writer.open(dir.resolve(name), src.width(), src.height(), FPS)) {
                for (Frame f; (f = src.next()) != null; )
                    w.write(Java2dSubtitles.burnIn(new Picture(f.width(), f.height(), f.rgb()), text).rgb());
            }
        }
        return new GroundTruth.Clip(name, "text", List.of("text_overlay"), null);
    }

    /**
     * Shots of different kinds joined in one graph by {@code concat}: hard cuts, or fades through black (FFmpeg's
     * {@code fade}, 8 frames down, 4 black, 8 up). Frame counts are exact, so the truth is known: the first frame
     * after each cut, the middle of each black run.
     */
    private GroundTruth.CutVideo cutVideo(Path dir, int v) {
        String name = String.format(Locale.ROOT, "cuts_%02d.mp4", v);
        int w = size.width(), h = size.height();
        int shots = size.shotsPerVideo();
        int[] lengths = new int[shots];
        boolean[] fadeBefore = new boolean[shots + 1];
        FilterScene.Kind[] kinds = FilterScene.Kind.values();
        int kind = random.nextInt(kinds.length);
        for (int s = 0; s < shots; s++) {
            lengths[s] = 36 + random.nextInt(61);
            fadeBefore[s] = s > 0 && random.nextInt(3) == 0;
        }
        List<Integer> cuts = new ArrayList<>(), fades = new ArrayList<>();
        List<String> segments = new ArrayList<>();
        int frame = 0;
        for (int s = 0; s < shots; s++) {
            kind = (kind + 1 + random.nextInt(kinds.length - 1)) % kinds.length; // never the same kind twice in a row
            FilterScene scene = new FilterScene(kinds[kind], 7000 + v * 100L + s);
            String tag = "v" + s;
            boolean in = fadeBefore[s], out = fadeBefore[s + 1];
            if (in) {
                int blackStart = frame;
                segments.add(String.format(Locale.ROOT, "color=c=black:size=%dx%d:rate=%d,trim=end_frame=%d,"
                        + "setsar=1,format=yuv420p", w, h, (int) FPS, BLACK_FRAMES));
                fades.add(blackStart + BLACK_FRAMES / 2);
                frame += BLACK_FRAMES;
            } else if (s > 0) {
                cuts.add(frame);
            }
            // fade=in from scene frame 0 is black there, so the shot starts at its frame 1 (1/9 of full level);
            // fade=out starting at the last full frame takes 8 more frames down to 1/9.
            int first = in ? 1 : 0;
            int lastFull = first + (in ? FADE_FRAMES : 0) + lengths[s] - 1;
            int end = lastFull + 1 + (out ? FADE_FRAMES : 0);
            StringBuilder g = new StringBuilder(scene.graph(w, h, tag));
            if (in) g.append(String.format(Locale.ROOT, ",fade=t=in:s=0:n=%d", FADE_FRAMES + 1));
            if (out) g.append(String.format(Locale.ROOT, ",fade=t=out:s=%d:n=%d", lastFull, FADE_FRAMES + 1));
            g.append(String.format(Locale.ROOT, ",trim=start_frame=%d:end_frame=%d,setpts=PTS-STARTPTS,setsar=1,format=yuv420p",
                    first, end));
            segments.add(g.toString());
            frame += end - first;
        }
        StringBuilder graph = new StringBuilder(), inputs = new StringBuilder();
        for (int i = 0; i < segments.size(); i++) {
            graph.append(segments.get(i)).append("[c").append(i).append("];");
            inputs.append("[c").append(i).append(']');
        }
        graph.append(inputs).append("concat=n=").append(segments.size()).append(":v=1:a=0");
        VideoInfo info = SyntheticSources.render(graph.toString(), dir.resolve(name), frame + 1);
        if (info.frameCount() != frame)
            throw new IllegalStateException(name + ": expected " + frame + " frames from the graph, got " + info.frameCount());
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
