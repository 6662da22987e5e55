package dev.zoetrope.train.eval;

import java.util.List;
import java.util.Locale;

/** How many clips the detector found matching their prompt, per axis and on all three at once. */
public record Accuracy(int clips, int color, int shape, int direction, int joint, int background) {
    public static Accuracy of(List<ClipScore> scores) {
        int c = 0, s = 0, d = 0, j = 0, b = 0;
        for (ClipScore x : scores) {
            if (x.colorOk()) c++;
            if (x.shapeOk()) s++;
            if (x.directionOk()) d++;
            if (x.allOk()) j++;
            if (x.backgroundOk()) b++;
        }
        return new Accuracy(scores.size(), c, s, d, j, b);
    }

    /** Clips whose background is the prompt's. */
    public double backgroundRate() {
        return rate(background);
    }

    public double colorRate() {
        return rate(color);
    }

    public double shapeRate() {
        return rate(shape);
    }

    public double directionRate() {
        return rate(direction);
    }

    public double jointRate() {
        return rate(joint);
    }

    /** The lowest of the four rates. */
    public double worstRate() {
        return Math.min(Math.min(colorRate(), shapeRate()), Math.min(directionRate(), jointRate()));
    }

    private double rate(int n) {
        return clips == 0 ? Double.NaN : (double) n / clips;
    }

    static String percent(double rate) {
        return Double.isNaN(rate) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * rate);
    }
}
