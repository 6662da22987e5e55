package dev.zoetrope.train.synth;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.zoetrope.video.Frame;
import dev.zoetrope.video.VideoReader;

/**
 * Reads a synthetic-world clip back from its pixels, with no learning: which palette colour, which shape,
 * which direction. It scores generated videos against their prompts and is validated on rendered clips.
 *
 * <ol>
 * <li>Background: the most common colour on the frame borders (5-bit bins, then their mean).</li>
 * <li>Object colour: the median of pixels far from the background; each pixel then gets a coverage
 * alpha by projecting (pixel − background) onto (object − background).</li>
 * <li>Per frame, the largest 4-connected blob of alpha ≥ ½ is the object. Over the blob and a two-pixel
 * rim (where blur and anti-aliasing spread it), alpha is summed along columns and rows: the column
 * and row profiles. Sums average pixel noise away and are unchanged by blur along their direction.</li>
 * <li>Colour: the nearest palette entry to the median of the blob's interior (eroded) pixels.</li>
 * <li>Shape: the profiles are re-centred on the centroid and summed over frames. Then fill = area ×
 * interior alpha / (peak column sum × peak row sum) is the fill of the object's box — 1 for a square,
 * π/4 for a circle, ½ for a triangle — and the row profile's skewness tells an apex-up triangle (−0.57,
 * its rows widen downwards) from symmetric shapes (0). The corner ratio, the longest chord along the two
 * diagonals over the longest along the axes (alpha summed along diagonal lines as along columns and rows),
 * tells corners: √2 for a square, 1 for a circle, 2√2/3 for the triangle. Fill alone reads a square drawn
 * with soft edges and slightly rounded corners (fill 0.83–0.89) as a circle; its corners still reach along
 * the diagonals. The nearest prototype in
 * (fill, 2 × skew, corner ratio) decides.</li>
 * <li>Direction: the least-squares slope of the centroid track; its dominant axis and sign.</li>
 * </ol>
 */
public final class ClipDetector {
    /** A blob smaller than this (pixels) is not an object. */
    private static final int MIN_AREA = 6;
    /** Pixels this far (RGB distance) from the background may be object. */
    private static final double CANDIDATE_DISTANCE = 40;
    /** Skewness of a ramp density on [0, 1], the row profile of an apex-up triangle. */
    private static final double TRIANGLE_SKEW = -2 * Math.sqrt(2) / 5;
    /**
     * Longest diagonal chord over longest axis chord of the apex-up triangle of side s: the chord from a base corner
     * towards the far edge, (4/3)(s/2)√2, over s.
     */
    private static final double TRIANGLE_CORNERS = 2 * Math.sqrt(2) / 3;
    /** Prototypes (fill, row skewness, corner ratio) for the shapes, in {@link SynthSpec#SHAPES} order. */
    private static final double[][] SHAPE_PROTOTYPES = {{Math.PI / 4, 0, 1}, {1.0, 0, Math.sqrt(2)}, {0.5, TRIANGLE_SKEW, TRIANGLE_CORNERS}};
    /**
     * Weight of skewness against fill in the prototype distance: symmetric shapes stay within ±0.05 of
     * zero skew even when blurred, while blur pushes a triangle's fill towards a circle's.
     */
    private static final double SKEW_WEIGHT = 2;
    /** Weight of the corner ratio: its square-to-circle gap (0.41) then counts about twice fill's (0.21). */
    private static final double CORNER_WEIGHT = 1;
    /**
     * Travel over the clip (px) below which an object stands still: a third of the shortest travel the synthetic world
     * plans at 64×64 (about 11 px).
     */
    static final double STILL_TRAVEL = 4;
    /** How far (pixels) around the blob blur and anti-aliasing may spread the object. */
    private static final int RIM = 2;

    private ClipDetector() {}

    /**
     * What the detector saw. Indexes refer to {@link SynthSpec} lists; -1 means not determined (no object
     * found, or no motion for the direction).
     *
     * @param centroids per frame [x, y] in pixels, or null where no object was found
     */
    public record Detection(int color, int shape, int direction, int background, double[] objectRgb,
                            double[] backgroundRgb, double fill, double rowSkew, double cornerRatio, int framesWithObject,
                            double velocityX, double velocityY, double[][] centroids) {
        public boolean found() {
            return color >= 0;
        }

        public String colorName() {
            return color < 0 ? "none" : SynthSpec.PALETTE.get(color).name();
        }

        public String shapeName() {
            return shape < 0 ? "none" : SynthSpec.SHAPES.get(shape).word();
        }

        public String directionName() {
            return direction < 0 ? "none" : SynthSpec.MOTIONS.get(direction).word();
        }

        public String backgroundName() {
            return background < 0 ? "none" : SynthSpec.BACKGROUND_PALETTE.get(background).name();
        }

        public String describe() {
            return String.format(java.util.Locale.ROOT, "%s %s moving %s on %s (fill %.2f, row skew %.2f, corner ratio %.2f, %d frames with object)",
                    colorName(), shapeName(), directionName(), backgroundName(), fill, rowSkew, cornerRatio, framesWithObject);
        }
    }

    /** Decodes {@code mp4} and detects its object. */
    public static Detection detect(Path mp4) {
        return detect(VideoReader.readAll(mp4));
    }

    /** Detects the object of {@code frames} among what the shipped models were trained on ({@link SynthSpec.Choices#TRAINED}). */
    public static Detection detect(List<Frame> frames) {
        return detect(frames, SynthSpec.Choices.TRAINED);
    }

    /**
     * Detects the object of {@code frames}: its colour, background and direction the nearest of {@code choices} (the
     * novel ones count only where a prompt may ask for them).
     */
    public static Detection detect(List<Frame> frames, SynthSpec.Choices choices) {
        if (frames.isEmpty()) throw new IllegalArgumentException("no frames to detect in");
        int w = frames.getFirst().width(), h = frames.getFirst().height();
        for (Frame f : frames) {
            if (f.width() != w || f.height() != h) throw new IllegalArgumentException("frames differ in size: "
                    + w + "x" + h + " and " + f.width() + "x" + f.height());
        }
        double[] bg = background(frames);
        int bgIndex = SynthSpec.nearestBackground(bg[0], bg[1], bg[2], choices.backgrounds());
        double[] obj = objectColor(frames, bg);
        int n = frames.size();
        double[][] centroids = new double[n][];
        if (obj == null) return new Detection(-1, -1, -1, bgIndex, null, bg, Double.NaN, Double.NaN, Double.NaN, 0, 0, 0, centroids);

        // The object keeps its shape while it moves: its profiles, re-centred on the centroid and summed
        // over frames, carry the same shape with the pixel noise averaged down.
        double[] cols = new double[2 * w + 1], rows = new double[2 * h + 1];
        double[] diag = new double[2 * (w + h) + 1], anti = new double[2 * (w + h) + 1];
        List<Double> levels = new ArrayList<>();
        double area = 0;
        List<int[]> interiorRgb = new ArrayList<>();
        int found = 0;
        for (int i = 0; i < n; i++) {
            Blob b = Blob.find(frames.get(i), bg, obj);
            if (b == null) continue;
            found++;
            centroids[i] = new double[]{b.cx, b.cy};
            addCentred(cols, b.cols, b.cx);
            addCentred(rows, b.rows, b.cy);
            // diagonal line k = x + y passes through pixel centres at x + y + 1; line k = x − y + h − 1 at x − y
            addCentred(diag, b.diag, b.cx + b.cy - 1);
            addCentred(anti, b.anti, b.cx - b.cy + h - 1);
            area += b.area;
            levels.add(b.level);
            b.interior(frames.get(i), interiorRgb);
        }
        if (found == 0 || interiorRgb.isEmpty())
            return new Detection(-1, -1, -1, bgIndex, obj, bg, Double.NaN, Double.NaN, Double.NaN, 0, 0, 0, centroids);

        double[] rgb = {median(interiorRgb, 0), median(interiorRgb, 1), median(interiorRgb, 2)};
        int color = SynthSpec.nearestColor(rgb[0], rgb[1], rgb[2], choices.colors());
        double fill = area / found * median(levels) / (peak(cols) / found * (peak(rows) / found));
        double skew = skewness(rows);
        // a diagonal line meets a pixel every √2: its alpha sum times √2 is its chord
        double corners = Math.sqrt(2) * (peak(diag) + peak(anti)) / (peak(cols) + peak(rows));
        int shape = nearestShape(fill, skew, corners);
        double[] v = slope(centroids);
        int direction = directionOf(v, found, choices.directions());
        return new Detection(color, shape, direction, bgIndex, rgb, bg, fill, skew, corners, found, v[0], v[1], centroids);
    }

    private static int nearestShape(double fill, double skew, double corners) {
        int best = 0;
        double bestD = Double.MAX_VALUE;
        for (int s = 0; s < SHAPE_PROTOTYPES.length; s++) {
            double df = fill - SHAPE_PROTOTYPES[s][0], db = SKEW_WEIGHT * (skew - SHAPE_PROTOTYPES[s][1]),
                    dc = CORNER_WEIGHT * (corners - SHAPE_PROTOTYPES[s][2]);
            double d = df * df + db * db + dc * dc;
            if (d < bestD) {
                bestD = d;
                best = s;
            }
        }
        return best;
    }

    /**
     * The direction of {@code directions} nearest in angle to the centroid's motion (for the four axis directions: its
     * dominant axis and sign, the horizontal one on a tie). An object that travels less than {@value #STILL_TRAVEL} px
     * stands still ({@code NOWHERE}) where that is a choice; otherwise -1 if it moves less than a pixel in all.
     */
    private static int directionOf(double[] v, int frames, List<SynthSpec.Direction> directions) {
        if (frames < 2) return -1;
        double vx = v[0], vy = v[1], span = v[2];
        if (directions.contains(SynthSpec.Direction.NOWHERE) && Math.hypot(vx, vy) * span < STILL_TRAVEL)
            return SynthSpec.Direction.NOWHERE.ordinal();
        if (Math.max(Math.abs(vx), Math.abs(vy)) * span < 1) return -1;
        SynthSpec.Direction best = null;
        double bestCos = Double.NEGATIVE_INFINITY;
        for (SynthSpec.Direction d : directions) {
            if (d.still()) continue;
            double cos = (vx * d.dx + vy * d.dy) / Math.hypot(d.dx, d.dy);
            if (cos > bestCos + 1e-12) {
                bestCos = cos;
                best = d;
            }
        }
        return best.ordinal();
    }

    /** Least-squares velocity (px/frame) of the centroids over the frames where they exist, and the frame span. */
    private static double[] slope(double[][] c) {
        double st = 0, sx = 0, sy = 0, stt = 0, stx = 0, sty = 0;
        int n = 0, first = -1, last = -1;
        for (int t = 0; t < c.length; t++) {
            if (c[t] == null) continue;
            if (first < 0) first = t;
            last = t;
            n++;
            st += t;
            sx += c[t][0];
            sy += c[t][1];
            stt += (double) t * t;
            stx += t * c[t][0];
            sty += t * c[t][1];
        }
        double den = n * stt - st * st;
        if (n < 2 || den == 0) return new double[]{0, 0, 0};
        return new double[]{(n * stx - st * sx) / den, (n * sty - st * sy) / den, last - first};
    }

    /** The mode of the border pixels' 5-bit colour bins, refined to the mean of that bin. */
    static double[] background(List<Frame> frames) {
        Map<Integer, long[]> bins = new HashMap<>();
        for (Frame f : frames) {
            int w = f.width(), h = f.height();
            for (int x = 0; x < w; x++) {
                addBin(bins, f, x, 0);
                addBin(bins, f, x, h - 1);
            }
            for (int y = 1; y < h - 1; y++) {
                addBin(bins, f, 0, y);
                addBin(bins, f, w - 1, y);
            }
        }
        long[] best = bins.values().stream().max((a, b) -> Long.compare(a[3], b[3])).orElseThrow();
        return new double[]{(double) best[0] / best[3], (double) best[1] / best[3], (double) best[2] / best[3]};
    }

    private static void addBin(Map<Integer, long[]> bins, Frame f, int x, int y) {
        int p = f.rgbAt(x, y);
        int r = p >> 16 & 0xff, g = p >> 8 & 0xff, b = p & 0xff;
        long[] s = bins.computeIfAbsent((r >> 3) << 10 | (g >> 3) << 5 | b >> 3, k -> new long[4]);
        s[0] += r;
        s[1] += g;
        s[2] += b;
        s[3]++;
    }

    /**
     * The object's colour: among pixels clearly off the background, the median of those at least 70% as
     * far from it as the far end (98th percentile) — the interior, not the blended edge. Null if none.
     */
    private static double[] objectColor(List<Frame> frames, double[] bg) {
        List<int[]> candidates = new ArrayList<>();
        for (Frame f : frames) {
            byte[] rgb = f.rgb();
            for (int o = 0; o < rgb.length; o += 3) {
                int r = rgb[o] & 0xff, g = rgb[o + 1] & 0xff, b = rgb[o + 2] & 0xff;
                double d = Math.sqrt(sq(r - bg[0]) + sq(g - bg[1]) + sq(b - bg[2]));
                if (d > CANDIDATE_DISTANCE) candidates.add(new int[]{r, g, b, (int) Math.round(d)});
            }
        }
        if (candidates.size() < MIN_AREA) return null;
        int[] dist = candidates.stream().mapToInt(c -> c[3]).sorted().toArray();
        double far = dist[(int) Math.floor(0.98 * (dist.length - 1))];
        List<int[]> interior = candidates.stream().filter(c -> c[3] >= 0.7 * far).toList();
        return new double[]{median(interior, 0), median(interior, 1), median(interior, 2)};
    }

    /** The object in one frame, measured with soft coverage. */
    private static final class Blob {
        final int w, h;
        double cx, cy, area, level;
        /** Alpha summed along each column and each row of the picture, and along its diagonal lines x + y and x − y. */
        double[] cols, rows, diag, anti;
        /** The blob eroded twice (less for tiny blobs): pixels away from blended edges. */
        boolean[] core;

        private Blob(int w, int h) {
            this.w = w;
            this.h = h;
        }

        static Blob find(Frame f, double[] bg, double[] obj) {
            int w = f.width(), h = f.height();
            double[] alpha = alpha(f, bg, obj);
            boolean[] hard = new boolean[w * h];
            for (int i = 0; i < hard.length; i++) hard[i] = alpha[i] >= 0.5;
            boolean[] blob = largestComponent(hard, w, h);
            if (blob == null) return null;
            Blob b = new Blob(w, h);
            boolean[] region = blob;
            for (int k = 0; k < RIM; k++) region = dilate(region, w, h);
            // Unclamped alpha: noise is zero-mean, so sums over many pixels cancel it.
            double[] cols = new double[w], rows = new double[h], diag = new double[w + h - 1], anti = new double[w + h - 1];
            double area = 0, sx = 0, sy = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = y * w + x;
                    if (!region[i]) continue;
                    double a = alpha[i];
                    cols[x] += a;
                    rows[y] += a;
                    diag[x + y] += a;
                    anti[x - y + h - 1] += a;
                    area += a;
                    sx += a * (x + 0.5);
                    sy += a * (y + 0.5);
                }
            }
            if (area < MIN_AREA) return null;
            b.core = core(blob, w, h);
            b.level = medianAt(alpha, b.core);
            b.cx = sx / area;
            b.cy = sy / area;
            b.area = area;
            b.cols = cols;
            b.rows = rows;
            b.diag = diag;
            b.anti = anti;
            return b;
        }

        /** Adds the colours of the blob's interior pixels (eroded twice, or less for tiny blobs). */
        void interior(Frame f, List<int[]> out) {
            for (int i = 0; i < core.length; i++) {
                if (!core[i]) continue;
                int p = f.rgbAt(i % w, i / w);
                out.add(new int[]{p >> 16 & 0xff, p >> 8 & 0xff, p & 0xff});
            }
        }
    }

    private static boolean[] core(boolean[] blob, int w, int h) {
        boolean[] core = blob;
        for (int k = 0; k < 2; k++) {
            boolean[] eroded = erode(core, w, h);
            if (count(eroded) < 3) break;
            core = eroded;
        }
        return core;
    }

    private static double medianAt(double[] values, boolean[] where) {
        List<Double> picked = new ArrayList<>();
        for (int i = 0; i < values.length; i++) if (where[i]) picked.add(values[i]);
        return median(picked);
    }

    /** Coverage per pixel: the projection of (pixel − bg) onto (obj − bg); 0 on background, 1 inside (plus noise). */
    private static double[] alpha(Frame f, double[] bg, double[] obj) {
        double vr = obj[0] - bg[0], vg = obj[1] - bg[1], vb = obj[2] - bg[2];
        double norm = vr * vr + vg * vg + vb * vb;
        byte[] rgb = f.rgb();
        double[] a = new double[f.width() * f.height()];
        for (int i = 0; i < a.length; i++) {
            double dr = (rgb[i * 3] & 0xff) - bg[0], dg = (rgb[i * 3 + 1] & 0xff) - bg[1], db = (rgb[i * 3 + 2] & 0xff) - bg[2];
            a[i] = (dr * vr + dg * vg + db * vb) / norm;
        }
        return a;
    }

    /** Adds {@code profile} into {@code sum} shifted so that position {@code centre} lands in the middle of sum. */
    private static void addCentred(double[] sum, double[] profile, double centre) {
        int shift = profile.length - (int) Math.floor(centre);
        for (int i = 0; i < profile.length; i++) {
            int j = i + shift;
            if (j >= 0 && j < sum.length) sum[j] += profile[i];
        }
    }

    /**
     * The height of a profile's top: the mean of its three largest values. A single maximum would be
     * pushed up by noise; a square's flat top and a circle's round one barely differ over three samples.
     */
    private static double peak(double[] p) {
        double[] top = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (double v : p) {
            if (v > top[0]) {
                top[2] = top[1];
                top[1] = top[0];
                top[0] = v;
            } else if (v > top[1]) {
                top[2] = top[1];
                top[1] = v;
            } else if (v > top[2]) {
                top[2] = v;
            }
        }
        return (top[0] + top[1] + top[2]) / 3;
    }

    /** Skewness of a profile read as a density over its index (negative values count as zero). */
    private static double skewness(double[] p) {
        double m0 = 0, m1 = 0;
        for (int i = 0; i < p.length; i++) {
            double v = Math.max(0, p[i]);
            m0 += v;
            m1 += v * i;
        }
        double mean = m1 / m0, m2 = 0, m3 = 0;
        for (int i = 0; i < p.length; i++) {
            double v = Math.max(0, p[i]), d = i - mean;
            m2 += v * d * d;
            m3 += v * d * d * d;
        }
        m2 /= m0;
        m3 /= m0;
        return m2 > 0 ? m3 / Math.pow(m2, 1.5) : 0;
    }

    private static boolean[] largestComponent(boolean[] m, int w, int h) {
        int[] label = new int[m.length];
        int[] queue = new int[m.length];
        int bestLabel = 0, bestSize = 0, next = 0;
        for (int s = 0; s < m.length; s++) {
            if (!m[s] || label[s] != 0) continue;
            next++;
            int head = 0, tail = 0, size = 0;
            queue[tail++] = s;
            label[s] = next;
            while (head < tail) {
                int i = queue[head++];
                size++;
                int x = i % w, y = i / w;
                if (x > 0 && m[i - 1] && label[i - 1] == 0) { label[i - 1] = next; queue[tail++] = i - 1; }
                if (x < w - 1 && m[i + 1] && label[i + 1] == 0) { label[i + 1] = next; queue[tail++] = i + 1; }
                if (y > 0 && m[i - w] && label[i - w] == 0) { label[i - w] = next; queue[tail++] = i - w; }
                if (y < h - 1 && m[i + w] && label[i + w] == 0) { label[i + w] = next; queue[tail++] = i + w; }
            }
            if (size > bestSize) {
                bestSize = size;
                bestLabel = next;
            }
        }
        if (bestSize < MIN_AREA) return null;
        boolean[] out = new boolean[m.length];
        for (int i = 0; i < m.length; i++) out[i] = label[i] == bestLabel;
        return out;
    }

    private static boolean[] dilate(boolean[] m, int w, int h) {
        boolean[] out = new boolean[m.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                out[i] = m[i] || x > 0 && m[i - 1] || x < w - 1 && m[i + 1] || y > 0 && m[i - w] || y < h - 1 && m[i + w];
            }
        }
        return out;
    }

    private static boolean[] erode(boolean[] m, int w, int h) {
        boolean[] out = new boolean[m.length];
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                int i = y * w + x;
                out[i] = m[i] && m[i - 1] && m[i + 1] && m[i - w] && m[i + w];
            }
        }
        return out;
    }

    private static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) if (b) n++;
        return n;
    }

    private static double median(List<int[]> rows, int column) {
        int[] v = new int[rows.size()];
        for (int i = 0; i < v.length; i++) v[i] = rows.get(i)[column];
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
    }

    private static double sq(double v) {
        return v * v;
    }
}
