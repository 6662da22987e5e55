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
import dev.zoetrope.curate.shots.FadeDetector;
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
        VideoInfo info;
        switch (probe(file)) {
            case Step.Failed<VideoInfo>(Extracted failed) -> { return failed; }
            case Step.Ok<VideoInfo>(VideoInfo v) -> info = v;
        }
        Shots scan;
        try {
            scan = detectShots(file, info);
        } catch (VideoException e) {
            return failed(source, "broken", e.getMessage());
        }
        Plan plan;
        switch (plan(file, info, scan.result(), scan.stoppedBy())) {
            case Step.Failed<Plan>(Extracted failed) -> { return failed; }
            case Step.Ok<Plan>(Plan p) -> plan = p;
        }
        List<ClipResult> clips;
        try {
            clips = plan.windows().isEmpty() ? List.of() : cut(file, plan.info(), plan.windows(), false);
        } catch (VideoException e) {
            return failed(source, "broken", e.getMessage());
        }
        return new Extracted(report(source, plan, clips), clips, false);
    }

    /** A step's outcome: its value, or the report of why the source goes no further. */
    private sealed interface Step<T> {
        record Ok<T>(T value) implements Step<T> {}

        record Failed<T>(Extracted failure) implements Step<T> {}
    }

    /** The source's metadata, or why it is refused before any frame is decoded. */
    private Step<VideoInfo> probe(Path file) {
        String source = file.toString();
        if (!Files.isRegularFile(file)) return new Step.Failed<>(failed(source, "broken", "no such file"));
        VideoInfo info;
        try {
            info = VideoProbe.probe(file, options.maxSourcePixels());
        } catch (VideoTooLargeException e) {
            return new Step.Failed<>(failed(source, "too_large", e.getMessage() + "; raise --max-source-size to take it"));
        } catch (VideoException e) {
            return new Step.Failed<>(failed(source, "broken", e.getMessage()));
        }
        if (info.fps() <= 0 || info.width() <= 0) return new Step.Failed<>(failed(source, "broken", "no usable video stream"));
        if (info.durationSeconds() >= 0 && info.durationSeconds() < options.minClipSeconds())
            return new Step.Failed<>(failed(source, "too_short", String.format(Locale.ROOT, "%.2f s is shorter than the %.2f s minimum clip",
                    info.durationSeconds(), options.minClipSeconds())));
        return new Step.Ok<>(info);
    }

    /** A source's shots and clip windows, before any clip is cut. */
    public record Plan(Source info, ShotDetector.Result shots, String truncated, List<ClipWindow> windows)
            implements java.io.Serializable {}

    /** What cutting needs of a source's metadata. */
    public record Source(int width, int height, double fps) implements java.io.Serializable {
        static Source of(VideoInfo i) {
            return new Source(i.width(), i.height(), i.fps());
        }
    }

    /** The plan from the shots of what decodes, or why there is none. */
    private Step<Plan> plan(Path file, VideoInfo info, ShotDetector.Result shots, String stoppedBy) {
        String truncated = stoppedBy == null ? null : String.format(Locale.ROOT, "%s; kept the first %d frames (%.2f s)",
                stoppedBy, shots.frames(), shots.frames() / info.fps());
        if (shots.frames() / info.fps() < options.minClipSeconds())
            return new Step.Failed<>(failed(file.toString(), "too_short", shots.frames()
                    + " decodable frames is shorter than the minimum clip" + (truncated == null ? "" : " (" + truncated + ")")));
        List<ClipWindow> windows = new ClipPlanner(options.minClipSeconds(), options.maxClipSeconds(), options.fps(),
                options.trimFrames()).plan(shots.shots(), info.fps());
        return new Step.Ok<>(new Plan(Source.of(info), shots, truncated, windows));
    }

    private SourceReport report(String source, Plan plan, List<ClipResult> clips) {
        ShotDetector.Result shots = plan.shots();
        Source info = plan.info();
        String status = plan.truncated() != null ? "truncated" : clips.isEmpty() ? "no_shots" : "ok";
        String message = plan.truncated() != null ? plan.truncated()
                : clips.isEmpty() ? "no shot is " + options.minClipSeconds() + " s long" : "";
        return new SourceReport(source, status, message, info.width(), info.height(),
                info.fps(), shots.frames() / info.fps(), shots.frames(), shots.cuts(), shots.fades(), shots.shots().size(),
                clips.stream().map(ClipResult::clipId).toList());
    }

    // ---- Long sources in time ranges -------------------------------------------------------------------------------

    /** Frames {@code [start, end)} of a source ({@code end} is {@link Integer#MAX_VALUE} for the last range). */
    public record Range(int index, int start, int end) implements java.io.Serializable {}

    /** What the scan of one range found: its cuts and the dark runs that start in it, and what stopped it early. */
    public record RangeScan(Range range, ShotDetector.Events events, String stoppedBy) implements java.io.Serializable {}

    /** The clip windows of one range (those starting in it), with the source's plan they belong to. */
    public record CutTask(String source, Range range, Plan plan, List<ClipWindow> windows) implements java.io.Serializable {}

    /**
     * Frames scanned before a range so the detectors' state there is what a scan from the start would have: the cut
     * detector's window, its shortest shot (15 frames) and the neighbours of a cut, with room to spare.
     */
    static final int RANGE_LEAD_FRAMES = 48;

    /**
     * The time ranges a long source is split into ({@code --range-seconds} each, the last one to the end), or none
     * when it is cut whole: short, already done (a valid marker), or not readable (the whole path reports why).
     */
    public List<Range> ranges(String source) {
        Path file = Path.of(source);
        if (readMarker(marker(source), file) != null) return List.of();
        if (!(probe(file) instanceof Step.Ok<VideoInfo>(VideoInfo info)) || info.durationSeconds() <= 0) return List.of();
        int per = (int) Math.round(options.rangeSeconds() * info.fps());
        long total = Math.round(info.durationSeconds() * info.fps());
        // The last range takes a remainder under half a range, so no range is a sliver.
        int n = (int) Math.max(1, Math.round((double) total / per));
        if (n < 2) return List.of();
        List<Range> out = new ArrayList<>();
        for (int k = 0; k < n; k++) out.add(new Range(k, k * per, k == n - 1 ? Integer.MAX_VALUE : (k + 1) * per));
        return out;
    }

    /**
     * Scans one range for shot events: from {@link #RANGE_LEAD_FRAMES} before it (those frames only set the
     * detectors' state) to a little past its end, and on while a dark run that started inside it lasts. It keeps the
     * cuts inside the range and the dark runs that start inside it; the range before reports the rest.
     */
    public RangeScan scan(String source, Range range) {
        Path file = Path.of(source);
        if (!(probe(file) instanceof Step.Ok<VideoInfo>(VideoInfo info)))
            return new RangeScan(range, new ShotDetector.Events(0, List.of(), List.of()), "cannot probe");
        int w = Math.min(ShotDetector.ANALYSIS_WIDTH, info.width()) & ~1;
        int h = Math.max(2, Math.round((float) info.height() * w / info.width()) & ~1);
        ShotDetector detector = new ShotDetector(AdaptiveCutDetector.Params.DEFAULT, 12.0);
        int from = Math.max(0, range.start() - RANGE_LEAD_FRAMES);
        int past = range.end() == Integer.MAX_VALUE ? Integer.MAX_VALUE : range.end() + AdaptiveCutDetector.Params.DEFAULT.window();
        String stoppedBy = null;
        int last = from - 1;
        try (VideoReader r = VideoReader.open(file, Math.max(2, w), h)) {
            if (from > 0) r.seek(from / info.fps());
            for (Frame f; (f = r.next()) != null; ) {
                int index = (int) f.index();
                if (index < from) continue;
                detector.accept(index, new Picture(f.width(), f.height(), f.rgb()));
                last = index;
                int open = detector.openDarkRunStart();
                if (index >= past && (open < range.start() || open >= range.end())) break;
            }
        } catch (VideoException e) {
            stoppedBy = e.getMessage();
        }
        ShotDetector.Events all = detector.events();
        List<Integer> cuts = all.cuts().stream().filter(c -> c >= range.start() && c < range.end()).toList();
        List<FadeDetector.DarkRun> runs = all.darkRuns().stream()
                .filter(d -> d.start() >= range.start() && d.start() < range.end()).toList();
        return new RangeScan(range, new ShotDetector.Events(last + 1, cuts, runs), stoppedBy);
    }

    /**
     * Joins the scans of a source's ranges into its plan and hands each range the windows that start in it. A scan
     * stopped by damage ends the source there, as a scan from the start would have. Never empty: a source with no
     * window (or a failure) gives one task without windows, so its report is still written.
     */
    public List<CutTask> plan(String source, List<RangeScan> scans) {
        Path file = Path.of(source);
        if (!(probe(file) instanceof Step.Ok<VideoInfo>(VideoInfo info))) return List.of(new CutTask(source, null, null, List.of()));
        List<RangeScan> sorted = scans.stream().sorted(java.util.Comparator.comparingInt(s -> s.range().index())).toList();
        int stop = Integer.MAX_VALUE;
        String stoppedBy = null;
        for (RangeScan s : sorted)
            if (s.stoppedBy() != null && s.events().end() < stop) {
                stop = s.events().end();
                stoppedBy = s.stoppedBy();
            }
        int end = stop;
        ShotDetector.Events joined = ShotDetector.join(sorted.stream().map(RangeScan::events).toList());
        if (stoppedBy != null)
            joined = new ShotDetector.Events(end, joined.cuts().stream().filter(c -> c < end).toList(),
                    joined.darkRuns().stream().filter(d -> d.start() < end)
                            .map(d -> new FadeDetector.DarkRun(d.start(), Math.min(d.end(), end))).toList());
        if (!(plan(file, info, ShotDetector.resolve(joined), stoppedBy) instanceof Step.Ok<Plan>(Plan p)))
            return List.of(new CutTask(source, null, null, List.of()));
        List<CutTask> tasks = new ArrayList<>();
        for (RangeScan s : sorted) {
            Range r = s.range();
            List<ClipWindow> mine = p.windows().stream().filter(x -> x.firstSource() >= r.start() && x.firstSource() < r.end()).toList();
            if (!mine.isEmpty()) tasks.add(new CutTask(source, r, p, mine));
        }
        if (tasks.isEmpty()) tasks.add(new CutTask(source, sorted.getFirst().range(), p, List.of()));
        return tasks;
    }

    /** Cuts one range's windows (seeking to the first; the last may run past the range's end). */
    public List<ClipResult> cut(CutTask task) {
        if (task.windows().isEmpty()) return List.of();
        try {
            return cut(Path.of(task.source()), task.plan().info(), task.windows(), task.range().start() > 0);
        } catch (IOException | VideoException e) {
            throw new CurationException("cutting " + task.source() + " range " + task.range().index() + ": " + e.getMessage(), e);
        }
    }

    /** The source's report and clips from its ranges' clips, with its done marker written as a whole cut would. */
    public Extracted finish(String source, List<CutTask> tasks, List<ClipResult> clips) {
        Plan plan = tasks.stream().map(CutTask::plan).filter(java.util.Objects::nonNull).findFirst().orElse(null);
        if (plan == null) return run(source);
        List<ClipResult> sorted = clips.stream().sorted(java.util.Comparator.comparingDouble(ClipResult::startS)).toList();
        Extracted e = new Extracted(report(source, plan, sorted), sorted, false);
        try {
            writeMarker(marker(source), Path.of(source), e);
        } catch (IOException io) {
            return new Extracted(SourceReport.failed(source, "broken", "cannot write results: " + io.getMessage()), List.of(), false);
        }
        return e;
    }

    /** The whole path's failure report for a source the range path could not plan (probe again, report why). */
    private Extracted run(String source) {
        try {
            return run(Path.of(source));
        } catch (IOException | RuntimeException e) {
            return new Extracted(SourceReport.failed(source, "broken", e.toString()), List.of(), false);
        }
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

    private List<ClipResult> cut(Path file, Source info, List<ClipWindow> windows, boolean seek) throws IOException {
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
            if (seek) r.seek(windows.getFirst().firstSource() / info.fps());
            // Windows are checked before a frame is read: past the last one the stream may be truncated.
            for (Frame f; (nextWindow < windows.size() || !active.isEmpty()) && (f = r.next()) != null; ) {
                int index = (int) f.index();
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
