package dev.zoetrope.curate.signals;

import java.util.List;

/**
 * Letterbox (top/bottom) and pillarbox (left/right) bars: rows or columns that are dark and flat in every sampled
 * frame. A row is a bar row when, in each sampled frame, its mean luma is below {@link #DARK} and the standard
 * deviation of its pixels is below {@link #FLAT}. Bars are counted inward from each edge while rows qualify.
 * The signal is the largest fraction of the frame covered: max((top + bottom) / H, (left + right) / W).
 */
public final class Borders {
    public static final double DARK = 24;
    public static final double FLAT = 6;

    /** The measured bars and the picture area they leave. */
    public record Result(int top, int bottom, int left, int right, double fraction, Region content) {}

    private Borders() {}

    public static Result measure(List<Luma> frames) {
        Luma f0 = frames.getFirst();
        int w = f0.width(), h = f0.height();
        boolean[] darkRow = new boolean[h], darkCol = new boolean[w];
        java.util.Arrays.fill(darkRow, true);
        java.util.Arrays.fill(darkCol, true);
        for (Luma f : frames) {
            for (int y = 0; y < h; y++) if (darkRow[y]) darkRow[y] = flatDark(f, 0, y, 1, 0, w);
            for (int x = 0; x < w; x++) if (darkCol[x]) darkCol[x] = flatDark(f, x, 0, 0, 1, h);
        }
        int top = 0;
        while (top < h && darkRow[top]) top++;
        int bottom = 0;
        while (bottom < h - top && darkRow[h - 1 - bottom]) bottom++;
        int left = 0;
        while (left < w && darkCol[left]) left++;
        int right = 0;
        while (right < w - left && darkCol[w - 1 - right]) right++;
        // An entirely dark frame has no bars, only darkness (the exposure signal reports it).
        if (top >= h || left >= w) return new Result(0, 0, 0, 0, 0, Region.full(w, h));
        double fraction = Math.max((double) (top + bottom) / h, (double) (left + right) / w);
        return new Result(top, bottom, left, right, fraction, new Region(left, top, w - right, h - bottom));
    }

    private static boolean flatDark(Luma f, int x0, int y0, int dx, int dy, int n) {
        double sum = 0, sq = 0;
        for (int i = 0, x = x0, y = y0; i < n; i++, x += dx, y += dy) {
            int v = f.at(x, y);
            sum += v;
            sq += (double) v * v;
        }
        double mean = sum / n;
        double var = Math.max(0, sq / n - mean * mean);
        return mean < DARK && Math.sqrt(var) < FLAT;
    }
}
