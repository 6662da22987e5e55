package dev.zoetrope.curate.shots;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Hard cuts from per-frame content values, streamed. Frame i is a cut when its content value is at least
 * {@code ratio} times the mean content value of the {@code window} frames on each side of it, is at least
 * {@code minContent}, and at least {@code minShotFrames} frames have passed since the previous cut. A decision for
 * frame i is made once frame i + window has arrived, so only 2·window + 1 values are held.
 */
public final class AdaptiveCutDetector {
    /** Parameters; the defaults follow the widely used adaptive detector (3.0, 15, 2, 15). */
    public record Params(double ratio, double minContent, int window, int minShotFrames) {
        public static final Params DEFAULT = new Params(3.0, 15.0, 2, 15);
    }

    private record Value(int frame, double content) {}

    private final Params params;
    private final ArrayDeque<Value> buffer = new ArrayDeque<>();
    private final List<Integer> cuts = new ArrayList<>();
    private int lastCut;

    public AdaptiveCutDetector(Params params) {
        this.params = params;
    }

    /** Feeds the content value of {@code frame} (the difference to frame − 1). NaN values are skipped. */
    public void accept(int frame, double content) {
        if (Double.isNaN(content)) return;
        buffer.addLast(new Value(frame, content));
        int size = 2 * params.window() + 1;
        if (buffer.size() < size) return;
        Value[] v = buffer.toArray(Value[]::new);
        Value centre = v[params.window()];
        double sum = 0;
        for (int i = 0; i < v.length; i++) if (i != params.window()) sum += v[i].content();
        double mean = sum / (2 * params.window());
        double ratio = mean > 1e-5 ? centre.content() / mean : centre.content() >= params.minContent() ? 255 : 0;
        if (ratio >= params.ratio() && centre.content() >= params.minContent()
                && centre.frame() - lastCut >= params.minShotFrames()) {
            cuts.add(centre.frame());
            lastCut = centre.frame();
        }
        buffer.removeFirst();
    }

    /** Cut frames found so far: each is the first frame of a new shot. */
    public List<Integer> cuts() {
        return List.copyOf(cuts);
    }
}
