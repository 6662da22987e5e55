package dev.zoetrope.curate.signals;

/**
 * 64-bit DCT perceptual hash of a luma picture: box-average to a 32×32 thumbnail, take the 2-D DCT-II, keep the 8×8
 * lowest frequencies, and set bit (u·8 + v) when coefficient (u, v) is above the median of those 64 coefficients.
 * Re-encoding, rescaling and mild blur change few bits; different pictures differ in about half of them. Thumbnails
 * of several frames can be averaged first ({@link #thumbnail}, {@link #of(double[])}): a clip segment's mean picture.
 */
public final class PerceptualHash {
    public static final int N = 32;
    private static final double[][] COS = new double[8][N];

    static {
        for (int u = 0; u < 8; u++)
            for (int x = 0; x < N; x++) COS[u][x] = Math.cos((2 * x + 1) * u * Math.PI / (2 * N));
    }

    private PerceptualHash() {}

    public static long of(Luma f) {
        return of(thumbnail(f));
    }

    /** The 32×32 box-averaged thumbnail of a frame, row-major. */
    public static double[] thumbnail(Luma f) {
        double[] small = new double[N * N];
        for (int y = 0; y < N; y++) {
            int ya = y * f.height() / N, yb = Math.max(ya + 1, (y + 1) * f.height() / N);
            for (int x = 0; x < N; x++) {
                int xa = x * f.width() / N, xb = Math.max(xa + 1, (x + 1) * f.width() / N);
                double s = 0;
                for (int yy = ya; yy < yb; yy++) for (int xx = xa; xx < xb; xx++) s += f.at(xx, yy);
                small[y * N + x] = s / ((yb - ya) * (xb - xa));
            }
        }
        return small;
    }

    /** The hash of a 32×32 thumbnail (one frame's, or the mean of several frames'). */
    public static long of(double[] small) {
        if (small.length != N * N) throw new IllegalArgumentException("a thumbnail has " + N * N + " values, got " + small.length);
        // Separable DCT: rows then columns, only the 8 lowest frequencies each way.
        double[] rows = new double[N * 8];
        for (int y = 0; y < N; y++)
            for (int v = 0; v < 8; v++) {
                double s = 0;
                for (int x = 0; x < N; x++) s += small[y * N + x] * COS[v][x];
                rows[y * 8 + v] = s;
            }
        double[] coef = new double[64];
        for (int u = 0; u < 8; u++)
            for (int v = 0; v < 8; v++) {
                double s = 0;
                for (int y = 0; y < N; y++) s += rows[y * 8 + v] * COS[u][y];
                coef[u * 8 + v] = s;
            }
        double[] sorted = coef.clone();
        java.util.Arrays.sort(sorted);
        double median = (sorted[31] + sorted[32]) / 2;
        long hash = 0;
        for (int i = 0; i < 64; i++) if (coef[i] > median) hash |= 1L << i;
        return hash;
    }

    public static int distance(long a, long b) {
        return Long.bitCount(a ^ b);
    }
}
