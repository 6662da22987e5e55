package dev.zoetrope.curate.signals;

/**
 * Variance of the Laplacian of luma: L(x,y) = Y(x−1,y) + Y(x+1,y) + Y(x,y−1) + Y(x,y+1) − 4·Y(x,y), over the
 * interior pixels of the picture area. Blur removes high frequencies, so the variance drops. The value depends on
 * resolution and content; thresholds are set for the output size.
 */
public final class Sharpness {
    private Sharpness() {}

    public static double laplacianVariance(Luma f, Region r) {
        double sum = 0, sq = 0;
        long n = 0;
        for (int y = r.y0() + 1; y < r.y1() - 1; y++) {
            for (int x = r.x0() + 1; x < r.x1() - 1; x++) {
                int l = f.at(x - 1, y) + f.at(x + 1, y) + f.at(x, y - 1) + f.at(x, y + 1) - 4 * f.at(x, y);
                sum += l;
                sq += (double) l * l;
                n++;
            }
        }
        if (n == 0) return 0;
        double mean = sum / n;
        return sq / n - mean * mean;
    }
}
