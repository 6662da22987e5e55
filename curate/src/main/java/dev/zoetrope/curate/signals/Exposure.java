package dev.zoetrope.curate.signals;

/**
 * Exposure of the picture area: brightness = mean luma / 255; dark = fraction of pixels with luma below
 * {@link #DARK_LEVEL}; bright = fraction with luma above {@link #BRIGHT_LEVEL}; visible = fraction with luma at or
 * above {@link #VISIBLE_LEVEL}, how much of the picture can be seen at all. A night street or a lit subject on black
 * has a low mean but a fair visible share; a clip that is dark all over has almost none, whatever a few specks do.
 */
public record Exposure(double brightness, double dark, double bright, double visible) {
    public static final int DARK_LEVEL = 20;
    public static final int BRIGHT_LEVEL = 235;
    /** About a fifth of full scale: below it a picture is hard to make out on a normal display. */
    public static final int VISIBLE_LEVEL = 48;

    public static Exposure of(Luma f, Region r) {
        long sum = 0, dark = 0, bright = 0, visible = 0, n = 0;
        for (int y = r.y0(); y < r.y1(); y++) {
            for (int x = r.x0(); x < r.x1(); x++) {
                int v = f.at(x, y);
                sum += v;
                if (v < DARK_LEVEL) dark++;
                if (v > BRIGHT_LEVEL) bright++;
                if (v >= VISIBLE_LEVEL) visible++;
                n++;
            }
        }
        return n == 0 ? new Exposure(0, 1, 0, 0)
                : new Exposure(sum / 255.0 / n, (double) dark / n, (double) bright / n, (double) visible / n);
    }
}
