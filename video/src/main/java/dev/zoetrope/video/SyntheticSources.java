package dev.zoetrope.video;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

import org.bytedeco.ffmpeg.global.avfilter;
import org.bytedeco.javacpp.Loader;

/**
 * Test videos from FFmpeg's generator filters (libavfilter), for building ground-truth corpora:
 * patterns (testsrc2, smptebars, mandelbrot, color) shaped by any filter chain (fade, boxblur, drawtext,
 * pad, eq, concat, ...). The graph is FFmpeg's filtergraph syntax; see the helpers for common sources.
 *
 * <p>libavfilter does not depend on libavdevice, so it loads wherever the other FFmpeg libraries do.
 */
public final class SyntheticSources {
    private static volatile Boolean loaded;

    private SyntheticSources() {}

    /** Whether libavfilter is usable here. */
    public static boolean available() {
        Boolean l = loaded;
        if (l != null) return l;
        synchronized (SyntheticSources.class) {
            if (loaded == null) {
                boolean ok;
                try {
                    Ffmpeg.require();
                    Loader.load(avfilter.class);
                    ok = true;
                } catch (Throwable e) {
                    ok = false;
                }
                loaded = ok;
            }
            return loaded;
        }
    }

    /** Whether this FFmpeg build has the named filter (drawtext, for example, needs FreeType). */
    public static boolean hasFilter(String name) {
        require();
        return avfilter.avfilter_get_by_name(name) != null;
    }

    /** Runs {@code graph} until it ends; a graph without a duration never ends, so prefer {@link #open(String, long)}. */
    public static FilterSource open(String graph) {
        return open(graph, Long.MAX_VALUE);
    }

    /** Runs {@code graph} for at most {@code maxFrames} frames. */
    public static FilterSource open(String graph, long maxFrames) {
        if (graph == null || graph.isBlank()) throw new IllegalArgumentException("empty filter graph");
        if (maxFrames < 0) throw new IllegalArgumentException("maxFrames must be >= 0, got " + maxFrames);
        require();
        return new FilterSource(graph, maxFrames);
    }

    /** Renders at most {@code maxFrames} frames of {@code graph} to an H.264 mp4 at the graph's frame rate. */
    public static VideoInfo render(String graph, Path out, long maxFrames) {
        return render(graph, out, maxFrames, Mp4Writer.DEFAULT_CRF, Mp4Writer.DEFAULT_PRESET);
    }

    /** As {@link #render(String, Path, long)}, encoded at the given x264 CRF and preset. */
    public static VideoInfo render(String graph, Path out, long maxFrames, int crf, String preset) {
        try (FilterSource src = open(graph, maxFrames)) {
            if (src.fps() <= 0) throw new VideoException("filter graph '" + graph + "' has no frame rate; add rate=...");
            Mp4Writer w = Mp4Writer.open(out, src.width(), src.height(), src.fps(), crf, preset);
            try {
                for (Frame f; (f = src.next()) != null; ) w.write(f);
            } catch (RuntimeException e) {
                w.abort();
                throw e;
            }
            w.close();
        }
        return VideoProbe.probe(out);
    }

    /** FFmpeg's moving colour test pattern with a frame counter. */
    public static String testsrc2(int width, int height, double fps, double seconds) {
        return source("testsrc2", width, height, fps, seconds);
    }

    /** SMPTE colour bars (static). */
    public static String smptebars(int width, int height, double fps, double seconds) {
        return source("smptebars", width, height, fps, seconds);
    }

    /** A Mandelbrot zoom: detailed, smoothly changing content (slow to render at large sizes). */
    public static String mandelbrot(int width, int height, double fps, double seconds) {
        // mandelbrot has no duration option; trim ends it.
        return String.format(Locale.ROOT, "mandelbrot=size=%dx%d:rate=%s,trim=duration=%s", width, height, rate(fps),
                num(seconds));
    }

    /**
     * A TrueType font installed on this machine, for drawtext's {@code fontfile=} option: this FFmpeg build
     * has no fontconfig, so drawtext needs an explicit font file.
     */
    public static Optional<Path> fontFile() {
        List<Path> roots = List.of(Path.of("/usr/share/fonts"), Path.of("/usr/local/share/fonts"),
                Path.of("/Library/Fonts"), Path.of("/System/Library/Fonts"), Path.of("C:\\Windows\\Fonts"));
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            try (Stream<Path> files = Files.walk(root, 4)) {
                Optional<Path> font = files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".ttf"))
                        .sorted(Comparator.comparing((Path p) -> !p.getFileName().toString().contains("Sans"))
                                .thenComparing(Path::toString))
                        .findFirst();
                if (font.isPresent()) return font;
            } catch (IOException | UncheckedIOException e) {
                // An unreadable font directory: try the next one.
            }
        }
        return Optional.empty();
    }

    /**
     * A drawtext filter that burns {@code text} in literally at (x, y), or empty if no font file is available.
     */
    public static Optional<String> drawtext(String text, int x, int y, int fontSize, String color) {
        return fontFile().map(font -> String.format(Locale.ROOT,
                "drawtext=fontfile=%s:text=%s:expansion=none:x=%d:y=%d:fontsize=%d:fontcolor=%s",
                escape(font.toString()), escape(text), x, y, fontSize, color));
    }

    /**
     * A drawtext filter that burns {@code text} in literally with an outline of {@code borderWidth} pixels, its
     * position given as drawtext expressions of {@code w, h, text_w, text_h} (e.g. {@code "(w-text_w)/2"}); empty if no
     * font file is available.
     */
    public static Optional<String> drawtext(String text, String x, String y, int fontSize, String color, int borderWidth,
                                            String borderColor) {
        return fontFile().map(font -> String.format(Locale.ROOT,
                "drawtext=fontfile=%s:text=%s:expansion=none:x=%s:y=%s:fontsize=%d:fontcolor=%s:borderw=%d:bordercolor=%s",
                escape(font.toString()), escape(text), escape(x), escape(y), fontSize, color, borderWidth, borderColor));
    }

    /**
     * Escapes an option value for both parsing levels of a filtergraph: first the filter's own option
     * syntax ({@code \ ' : =}), then the graph syntax ({@code \ ' [ ] , ;}).
     */
    static String escape(String value) {
        String option = value.replaceAll("([\\\\':=])", "\\\\$1");
        return option.replaceAll("([\\\\'\\[\\],;])", "\\\\$1");
    }

    /** The {@code movie} source reading a video file, its path escaped for the graph (to run FFmpeg's filters on a file). */
    public static String movie(Path file) {
        return "movie=filename=" + escape(file.toAbsolutePath().toString());
    }

    /** A flat colour, given as an FFmpeg colour ("black", "0x6e6e6e", "red@1.0"). */
    public static String color(String color, int width, int height, double fps, double seconds) {
        return String.format(Locale.ROOT, "color=c=%s:size=%dx%d:rate=%s:duration=%s", color, width, height,
                rate(fps), num(seconds));
    }

    private static String source(String name, int width, int height, double fps, double seconds) {
        return String.format(Locale.ROOT, "%s=size=%dx%d:rate=%s:duration=%s", name, width, height, rate(fps), num(seconds));
    }

    private static String rate(double fps) {
        FrameRate r = FrameRate.of(fps);
        return r.den() == 1 ? Integer.toString(r.num()) : r.num() + "/" + r.den();
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private static void require() {
        if (!available()) throw new VideoException("libavfilter could not be loaded; synthetic sources are unavailable");
    }
}
