package dev.zoetrope.curate.signals;

/**
 * Exposure of the picture area: brightness = mean luma / 255; dark = fraction of pixels with luma below
 * {@link #DARK_LEVEL}; bright = fraction with luma above {@link #BRIGHT_LEVEL}.
 */
public record Exposure(double brightness, double dark, double bright) {
    public static final int DARK_LEVEL = 20;
    public static final int BRIGHT_LEVEL = 235;

    public static Exposure of(Luma f, Region r) {
        long sum = 0, dark = 0, bright = 0, n = 0;
        for (int y = r.y0(); y < r.y1(); y++) {
            for (int x = r.x0(); x < r.x1(); x++) {
                int v = f.at(x, y);
                sum += v;
                if (v < DARK_LEVEL) dark++;
                if (v > BRIGHT_LEVEL) bright++;
                n++;
            }
        }
        return n == 0 ? new Exposure(0, 1, 0) : new Exposure(sum / 255.0 / n, (double) dark / n, (double) bright / n);
    }
}
