package dev.zoetrope.curate.shots;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.image.Resizer;

/**
 * Splits a frame stream into shots with the adaptive cut detector and the fade detector. Frames are analysed at a
 * small size (at most {@link #ANALYSIS_WIDTH} wide) and dropped at once, so memory does not grow with the video.
 */
public final class ShotDetector {
    public static final int ANALYSIS_WIDTH = 160;
    /**
     * Dark runs longer than this are dark content (a shot of their own), not the black of a fade; so is a dark run
     * that spans the whole video (a dim scene, or a small object on black).
     */
    public static final int MAX_FADE_BLACK = 24;

    /** What was found: hard cuts, fade transitions (boundary frames), dark runs, and the shots between them. */
    public record Result(int frames, List<Integer> cuts, List<Integer> fades, List<FadeDetector.DarkRun> darkRuns, List<Shot> shots)
            implements java.io.Serializable {
        /** Every boundary, cut or fade, sorted. */
        public List<Integer> boundaries() {
            TreeSet<Integer> all = new TreeSet<>(cuts);
            all.addAll(fades);
            return List.copyOf(all);
        }
    }

    /**
     * What the detectors saw of a stretch of frames before shots are formed: hard cuts and dark runs (the last one may
     * be open at {@code end}). Stretches of one video scanned apart are joined with {@link #join}.
     */
    public record Events(int end, List<Integer> cuts, List<FadeDetector.DarkRun> darkRuns) implements java.io.Serializable {}

    private final HsvDifference difference = new HsvDifference();
    private final AdaptiveCutDetector cuts;
    private final FadeDetector fades;
    private int frames;

    public ShotDetector(AdaptiveCutDetector.Params params, double fadeThreshold) {
        this.cuts = new AdaptiveCutDetector(params);
        this.fades = new FadeDetector(fadeThreshold);
    }

    public ShotDetector() {
        this(AdaptiveCutDetector.Params.DEFAULT, 12.0);
    }

    /** Feeds the next frame (frames must arrive in order, starting at 0). */
    public void accept(Picture frame) {
        accept(frames, frame);
    }

    /** Feeds frame {@code index} of the video: consecutive frames, starting anywhere (a time range of a long video). */
    public void accept(int index, Picture frame) {
        Picture small = frame;
        if (frame.width() > ANALYSIS_WIDTH) {
            int h = Math.max(1, Math.round((float) frame.height() * ANALYSIS_WIDTH / frame.width()));
            small = Resizer.scale(frame, ANALYSIS_WIDTH, h);
        }
        cuts.accept(index, difference.next(small));
        fades.accept(index, small);
        frames = index + 1;
    }

    /** The cuts and dark runs seen so far. */
    public Events events() {
        return new Events(frames, cuts.cuts(), fades.runs());
    }

    /** The first frame of the dark run still open at the last frame fed, or -1 if none is. */
    public int openDarkRunStart() {
        return fades.open() ? fades.runs().getLast().start() : -1;
    }

    public Result finish() {
        return resolve(events());
    }

    /**
     * The events of a whole video scanned in stretches, as one: cuts united, dark runs that overlap merged (a stretch
     * that starts inside a dark run sees it begin later than the one before it does; both end at the same frame).
     */
    public static Events join(List<Events> parts) {
        java.util.TreeSet<Integer> cuts = new java.util.TreeSet<>();
        List<FadeDetector.DarkRun> runs = new ArrayList<>();
        int end = 0;
        for (Events e : parts) {
            cuts.addAll(e.cuts());
            runs.addAll(e.darkRuns());
            end = Math.max(end, e.end());
        }
        runs.sort(java.util.Comparator.comparingInt(FadeDetector.DarkRun::start));
        List<FadeDetector.DarkRun> merged = new ArrayList<>();
        for (FadeDetector.DarkRun r : runs) {
            if (!merged.isEmpty() && r.start() < merged.getLast().end()) {
                FadeDetector.DarkRun last = merged.removeLast();
                merged.add(new FadeDetector.DarkRun(last.start(), Math.max(last.end(), r.end())));
            } else merged.add(r);
        }
        return new Events(end, List.copyOf(cuts), merged);
    }

    /** Shots from the events of a whole video of {@code events.end()} frames. */
    public static Result resolve(Events events) {
        int frames = events.end();
        List<FadeDetector.DarkRun> runs = new ArrayList<>();
        List<FadeDetector.DarkRun> darkShots = new ArrayList<>();
        for (FadeDetector.DarkRun r : events.darkRuns()) {
            boolean whole = r.start() == 0 && r.end() == frames;
            (whole || r.end() - r.start() > MAX_FADE_BLACK ? darkShots : runs).add(r);
        }
        List<Integer> fadeBoundaries = new ArrayList<>();
        for (FadeDetector.DarkRun r : runs) if (r.start() > 0 && r.end() < frames) fadeBoundaries.add(r.boundary());
        // Long dark stretches are shots of their own: the light going down and coming back are boundaries.
        TreeSet<Integer> darkEdges = new TreeSet<>();
        for (FadeDetector.DarkRun r : darkShots) {
            if (r.start() > 0) darkEdges.add(r.start());
            if (r.end() < frames) darkEdges.add(r.end());
        }
        fadeBoundaries.addAll(darkEdges);
        fadeBoundaries.sort(null);
        // A cut inside or at the edge of a dark run is the fade itself (black to first lit frame), not a new shot.
        List<Integer> hard = new ArrayList<>();
        for (int c : events.cuts()) {
            boolean inFade = runs.stream().anyMatch(r -> c >= r.start() - 1 && c <= r.end() + 1)
                    || darkEdges.stream().anyMatch(e -> Math.abs(e - c) <= 1);
            if (!inFade) hard.add(c);
        }
        List<Integer> splits = new ArrayList<>(new TreeSet<>(hard));
        splits.addAll(darkEdges);
        splits.sort(null);
        // Shots: the lit stretches between dark runs, split at hard cuts.
        List<Shot> shots = new ArrayList<>();
        int litStart = 0;
        List<int[]> lit = new ArrayList<>();
        for (FadeDetector.DarkRun r : runs) {
            if (r.start() > litStart) lit.add(new int[]{litStart, r.start()});
            litStart = r.end();
        }
        if (litStart < frames) lit.add(new int[]{litStart, frames});
        for (int[] span : lit) {
            int s = span[0];
            for (int c : splits) {
                if (c > s && c < span[1]) {
                    shots.add(new Shot(s, c));
                    s = c;
                }
            }
            shots.add(new Shot(s, span[1]));
        }
        return new Result(frames, hard, fadeBoundaries, runs, shots);
    }
}
