package dev.zoetrope.curate.signals;

import java.util.Arrays;
import java.util.List;

/**
 * Burned-in text score. Rendered glyphs are thin high-contrast strokes that stay put while the picture moves.
 * In each sampled frame a pixel is a <em>stroke pixel</em> when luma rises (or falls) by at least
 * {@link #EDGE} to its right and falls (or rises) back by at least {@link #EDGE} within {@link #MAX_STROKE}
 * pixels: a thin bright (or dark) vertical stroke. A stroke pixel is <em>persistent</em> when it is a stroke pixel
 * in at least {@link #PERSIST} of the sampled frames. The picture area is cut into horizontal bands of
 * {@code max(4, H/12)} rows; the score is the largest band density of persistent stroke pixels minus the median
 * band density (0–1): text is a band of strokes standing out from the rest of the picture, while a fine texture
 * that stays put (a static shot of foliage, say) fills every band alike.
 */
public final class TextOverlay {
    public static final int EDGE = 48;
    public static final int MAX_STROKE = 4;
    public static final double PERSIST = 0.75;

    private TextOverlay() {}

    public static double score(List<Luma> frames, Region r) {
        int w = r.width(), h = r.height();
        if (w < MAX_STROKE + 2 || h < 4) return 0;
        int[] count = new int[w * h];
        for (Luma f : frames) {
            for (int y = 0; y < h; y++) {
                int row = (r.y0() + y) * f.width() + r.x0();
                for (int x = 0; x + 1 < w; x++) {
                    int d = (f.y()[row + x + 1] & 0xff) - (f.y()[row + x] & 0xff);
                    if (Math.abs(d) < EDGE) continue;
                    for (int k = 1; k <= MAX_STROKE && x + k + 1 < w; k++) {
                        int back = (f.y()[row + x + k + 1] & 0xff) - (f.y()[row + x + k] & 0xff);
                        if (d > 0 ? back <= -EDGE : back >= EDGE) {
                            count[y * w + x]++;
                            break;
                        }
                    }
                }
            }
        }
        int need = (int) Math.ceil(PERSIST * frames.size());
        int band = Math.max(4, h / 12);
        int bands = (h + band - 1) / band;
        double[] density = new double[bands];
        for (int b = 0; b < bands; b++) {
            int y0 = b * band, y1 = Math.min(h, y0 + band);
            long hits = 0;
            for (int y = y0; y < y1; y++) for (int x = 0; x < w; x++) if (count[y * w + x] >= need) hits++;
            density[b] = (double) hits / ((long) (y1 - y0) * w);
        }
        double best = Arrays.stream(density).max().orElse(0);
        Arrays.sort(density);
        double median = bands % 2 == 1 ? density[bands / 2] : (density[bands / 2 - 1] + density[bands / 2]) / 2;
        return best - median;
    }
}
