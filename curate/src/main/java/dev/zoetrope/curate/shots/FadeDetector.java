package dev.zoetrope.curate.shots;

import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.curate.image.Picture;

/**
 * Fades to and from black, streamed: a dark run starts at a frame whose mean of all RGB values is below
 * {@code threshold} and lasts until a frame reaches {@link #EXIT_FACTOR} × {@code threshold} (hysteresis, so dim
 * content hovering at the threshold is one dark run, not many short ones). A run of dark frames between lit frames
 * is a fade transition; its boundary is the middle of the run. Dark runs at the start or end of a video are recorded
 * too, so shots can leave them out.
 */
public final class FadeDetector {
    /** A run of dark frames [start, end). {@code boundary} is where one shot gives way to the next. */
    public record DarkRun(int start, int end) implements java.io.Serializable {
        public int boundary() {
            return (start + end) / 2;
        }
    }

    /** A dark run ends at a frame at least this many times the threshold. */
    public static final double EXIT_FACTOR = 1.5;

    private final double threshold;
    private final List<DarkRun> runs = new ArrayList<>();
    private int darkStart = -1;
    private int frames;

    public FadeDetector(double threshold) {
        this.threshold = threshold;
    }

    public static double meanValue(Picture p) {
        long sum = 0;
        for (byte b : p.rgb()) sum += b & 0xff;
        return (double) sum / p.rgb().length;
    }

    public void accept(int frame, Picture p) {
        frames = frame + 1;
        double mean = meanValue(p);
        if (darkStart < 0 && mean < threshold) darkStart = frame;
        else if (darkStart >= 0 && mean >= EXIT_FACTOR * threshold) {
            runs.add(new DarkRun(darkStart, frame));
            darkStart = -1;
        }
    }

    /** Whether a dark run has started and not yet ended. */
    public boolean open() {
        return darkStart >= 0;
    }

    /** All dark runs, including one still open at the end of the stream. */
    public List<DarkRun> runs() {
        List<DarkRun> out = new ArrayList<>(runs);
        if (darkStart >= 0) out.add(new DarkRun(darkStart, frames));
        return out;
    }
}
