package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.curate.clips.ClipPlanner;
import dev.zoetrope.curate.clips.ClipWindow;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.image.Pngs;
import dev.zoetrope.curate.image.Resizer;
import dev.zoetrope.curate.shots.AdaptiveCutDetector;
import dev.zoetrope.curate.shots.ShotDetector;
import dev.zoetrope.curate.signals.ClipSignals;
import dev.zoetrope.curate.signals.SignalExtractor;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.Mp4Writer;
import dev.zoetrope.video.VideoException;
import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;
import dev.zoetrope.video.VideoReader;
import dev.zoetrope.video.VideoTooLargeException;

/**
 * Turns one source video into clips, in two streaming passes. Pass 1 decodes small frames for shot detection. Pass 2
 * decodes frames scaled to cover the output size, centre-crops them, and feeds each clip window's frames (resampled
 * to the output rate) to its signal extractor and to an mp4 writer; only the current frame and per-clip accumulators
 * are held, so a long video never sits in memory.
 *
 * <p>Hostile sources cost little: one that declares a picture above {@link CurateOptions#maxSourcePixels()} is
 * refused as {@code too_large} before a frame is decoded; one whose data ends or breaks after its first frames (a
 * truncated download, say) keeps the clips of what decodes and is reported as {@code truncated}.
 *
 * <p>A source that is done has a marker {@code work/sources/<key>.json} holding its report and clips; a re-run with
 * the same file (size and modification time) reads the marker instead of decoding again.
 */
public final class ClipExtractor {
    static final int STRIP_FRAMES = 6;

    /** A source's report and clips. */
    public record Extracted(SourceReport report, List<ClipResult> clips, boolean reused) {}

    private final CurateOptions options;
    private final Path out;

    public ClipExtractor(CurateOptions options) {
        this.options = options;
        this.out = Path.of(options.out());
    }

    public Path clipDir() {
        return out.resolve("clips");
    }

    public Extracted extract(String source) {
        Path file = Path.of(source);
        Path marker = marker(source);
        try {
            Extracted done = readMarker(marker, file);
            if (done != null) return done;
            Extracted fresh = run(file);
            writeMarker(marker, file, fresh);
            return fresh;
        } catch (IOException e) {
            return new Extracted(SourceReport.failed(source, "broken", "cannot write results: " + e.getMessage()), List.of(), false);
        } catch (RuntimeException e) {
            // Whatever a damaged file provokes, it costs only this source; the run goes on.
            return new Extracted(SourceReport.failed(source, "broken", e.toString()), List.of(), false);
        }
    }

    private Extracted run(Path file) throws IOException {
        String source = file.toString();
        if (!Files.isRegularFile(file)) return failed(source, "broken", "no such file");
        VideoInfo info;
        try {
            info = VideoProbe.probe(file, options.maxSourcePixels());
        } catch (VideoTooLargeException e) {
            return failed(source, "too_large", e.getMessage() + "; raise --max-source-size to take it");
        } catch (VideoException e) {
            return failed(source, "broken", e.getMessage());
        }
        if (info.fps() <= 0 || info.width() <= 0) return failed(source, "broken", "no usable video stream");
        if (info.durationSeconds() >= 0 && info.durationSeconds() < options.minClipSeconds())
            return failed(source, "too_short", String.format(Locale.ROOT, "%.2f s is shorter than the %.2f s minimum clip",
                    info.durationSeconds(), options.minClipSeconds()));

        Shots scan;
        try {
            scan = detectShots(file, info);
        } catch (VideoException e) {
            return failed(source, "broken", e.getMessage());
        }
        ShotDetector.Result shots = scan.result();
        String truncated = scan.stoppedBy() == null ? null : String.format(Locale.ROOT, "%s; kept the first %d frames (%.2f s)",
                scan.stoppedBy(), shots.frames(), shots.frames() / info.fps());
        if (shots.frames() / info.fps() < options.minClipSeconds())
            return failed(source, "too_short", shots.frames() + " decodable frames is shorter than the minimum clip"
                    + (truncated == null ? "" : " (" + truncated + ")"));
        List<ClipWindow> windows = new ClipPlanner(options.minClipSeconds(), options.maxClipSeconds(), options.fps(),
                options.trimFrames()).plan(shots.shots(), info.fps());
        List<ClipResult> clips;
        try {
            clips = windows.isEmpty() ? List.of() : cut(file, info, windows);
        } catch (VideoException e) {
            return failed(source, "broken", e.getMessage());
        }
        String status = truncated != null ? "truncated" : clips.isEmpty() ? "no_shots" : "ok";
        String message = truncated != null ? truncated : clips.isEmpty() ? "no shot is " + options.minClipSeconds() + " s long" : "";
        SourceReport report = new SourceReport(source, status, message, info.width(), info.height(),
                info.fps(), shots.frames() / info.fps(), shots.frames(), shots.cuts(), shots.fades(), shots.shots().size(),
                clips.stream().map(ClipResult::clipId).toList());
        return new Extracted(report, clips, false);
    }

    /** The shots of what decodes, and what stopped the decoding early (null if the stream ended normally). */
    private record Shots(ShotDetector.Result result, String stoppedBy) {}

    private Shots detectShots(Path file, VideoInfo info) {
        int w = Math.min(ShotDetector.ANALYSIS_WIDTH, info.width()) & ~1;
        int h = Math.max(2, Math.round((float) info.height() * w / info.width()) & ~1);
        ShotDetector detector = new ShotDetector(AdaptiveCutDetector.Params.DEFAULT, 12.0);
        int decoded = 0;
        String stoppedBy = null;
        try (VideoReader r = VideoReader.open(file, Math.max(2, w), h)) {
            for (Frame f; (f = r.next()) != null; decoded++) detector.accept(new Picture(f.width(), f.height(), f.rgb()));
        } catch (VideoException e) {
            // Frames before a truncation or a damaged stretch are good footage; nothing decoded means a broken file.
            if (decoded == 0) throw e;
            stoppedBy = e.getMessage();
        }
        return new Shots(detector.finish(), stoppedBy);
    }

    /** Per-window state while its frames stream past. */
    private final class Builder {
        final ClipWindow window;
        final String id;
        final SignalExtractor signals;
        final Mp4Writer writer;
        final List<Picture> strip = new ArrayList<>();
        int next;

        Builder(ClipWindow window, String id) {
            this.window = window;
            this.id = id;
            this.signals = new SignalExtractor(window.frames());
            this.writer = Mp4Writer.open(clipDir().resolve(id + ".mp4"), options.width(), options.height(), options.fps(),
                    options.crf(), "veryfast");
        }

        void feed(Picture p) {
            signals.accept(p);
            writer.write(p.rgb());
            int every = Math.max(1, window.frames() / STRIP_FRAMES);
            if (next % every == 0 && strip.size() < STRIP_FRAMES) strip.add(p);
            next++;
        }
    }

    private List<ClipResult> cut(Path file, VideoInfo info, List<ClipWindow> windows) throws IOException {
        Files.createDirectories(clipDir());
        double scale = Math.max((double) options.width() / info.width(), (double) options.height() / info.height());
        int dw = Math.max(options.width(), (int) Math.ceil(info.width() * scale));
        int dh = Math.max(options.height(), (int) Math.ceil(info.height() * scale));
        String caption = sidecarCaption(file);
        String stem = stem(file);
        List<ClipResult> results = new ArrayList<>();
        List<Builder> active = new ArrayList<>();
        int nextWindow = 0;
        try (VideoReader r = VideoReader.open(file, dw, dh)) {
            int index = 0;
            // Windows are checked before a frame is read: past the last one the stream may be truncated.
            for (Frame f; (nextWindow < windows.size() || !active.isEmpty()) && (f = r.next()) != null; index++) {
                while (nextWindow < windows.size() && windows.get(nextWindow).firstSource() <= index) {
                    ClipWindow w = windows.get(nextWindow++);
                    active.add(new Builder(w, clipId(stem, file, w)));
                }
                Picture frame = null;
                for (Builder b : active) {
                    while (b.next < b.window.frames() && b.window.sourceFrames()[b.next] == index) {
                        if (frame == null) frame = Resizer.centerCrop(new Picture(f.width(), f.height(), f.rgb()), options.width(), options.height());
                        b.feed(frame);
                    }
                }
                for (var it = active.iterator(); it.hasNext(); ) {
                    Builder b = it.next();
                    if (b.next >= b.window.frames()) {
                        results.add(finish(b, file, caption));
                        it.remove();
                    }
                }
            }
            // The stream ended early (fewer frames than declared): close what has enough frames.
            for (Builder b : active) {
                if (b.next / options.fps() >= options.minClipSeconds()) results.add(finish(b, file, caption));
                else b.writer.abort();
            }
            active.clear();
        } finally {
            for (Builder b : active) b.writer.abort();
        }
        return results;
    }

    private ClipResult finish(Builder b, Path file, String caption) throws IOException {
        b.writer.close();
        AtomicFiles.writeBytes(clipDir().resolve(b.id + ".png"), Pngs.encode(Pngs.strip(b.strip, Math.min(96, options.height()))));
        double end = b.window.startS() + b.next / options.fps();
        return new ClipResult(b.id, file.toString(), b.window.startS(), end, options.width(), options.height(),
                options.fps(), b.next, caption, b.signals.finish());
    }

    /** {@code <stem>-<8 hex of the path hash>-<start in ms>}: stable across runs, unique across sources. */
    static String clipId(String stem, Path file, ClipWindow w) {
        return String.format(Locale.ROOT, "%s-%s-%07d", stem, pathKey(file.toString()).substring(0, 8), Math.round(w.startS() * 1000));
    }

    static String stem(Path file) {
        String n = file.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        String s = n.replaceAll("[^A-Za-z0-9_-]", "_");
        return s.length() > 40 ? s.substring(0, 40) : s;
    }

    static String pathKey(String source) {
        try {
            var d = java.security.MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(d.digest(source.getBytes(java.nio.charset.StandardCharsets.UTF_8))).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code caption} field of {@code <video>.json} beside the video, if present. */
    static String sidecarCaption(Path video) {
        Path sidecar = video.resolveSibling(video.getFileName().toString().replaceFirst("\\.[^.]+$", "") + ".json");
        if (!Files.isRegularFile(sidecar)) return null;
        try {
            JsonNode c = Json.readTree(sidecar).path("caption");
            return c.isTextual() ? c.asText() : null;
        } catch (RuntimeException e) {
            return null; // An unreadable sidecar costs only the caption.
        }
    }

    Path marker(String source) {
        return out.resolve("work").resolve("sources").resolve(pathKey(source) + ".json");
    }

    /** What a done marker holds. */
    public record Marker(long size, long modified, CurateSignature settings, SourceReport report, List<ClipResult> clips) {}

    /** The options (and the signals' version) that change clips; a marker made with others is stale. */
    public record CurateSignature(double minClipSeconds, double maxClipSeconds, double fps, int width, int height, int trimFrames,
                                  long maxSourcePixels, int signalsVersion) {
        static CurateSignature of(CurateOptions o) {
            return new CurateSignature(o.minClipSeconds(), o.maxClipSeconds(), o.fps(), o.width(), o.height(), o.trimFrames(),
                    o.maxSourcePixels(), ClipSignals.VERSION);
        }
    }

    private Extracted readMarker(Path marker, Path file) {
        if (!Files.isRegularFile(marker) || !Files.isRegularFile(file)) return null;
        try {
            Marker m = Json.PLAIN.readValue(Files.readAllBytes(marker), Marker.class);
            if (m.size() != Files.size(file) || m.modified() != Files.getLastModifiedTime(file).toMillis()) return null;
            if (!CurateSignature.of(options).equals(m.settings())) return null;
            for (ClipResult c : m.clips()) if (!Files.isRegularFile(clipDir().resolve(c.clipId() + ".mp4"))) return null;
            return new Extracted(m.report(), m.clips(), true);
        } catch (IOException | RuntimeException e) {
            return null; // A damaged marker means the work is done again.
        }
    }

    private void writeMarker(Path marker, Path file, Extracted e) throws IOException {
        if (!Files.isRegularFile(file)) return;
        Marker m = new Marker(Files.size(file), Files.getLastModifiedTime(file).toMillis(), CurateSignature.of(options), e.report(), e.clips());
        AtomicFiles.writeString(marker, Json.PLAIN.writeValueAsString(m));
    }

    private static Extracted failed(String source, String status, String message) {
        return new Extracted(SourceReport.failed(source, status, message), List.of(), false);
    }
}
