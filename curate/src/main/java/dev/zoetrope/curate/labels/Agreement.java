package dev.zoetrope.curate.labels;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Krippendorff's alpha: α = 1 − D_o / D_e, where D_o is the mean disagreement between values given to the same clip
 * by different annotators (each clip's pairs weighted 1 / (m − 1) for m values) and D_e the mean disagreement
 * between all pairable values. Disagreement δ is 0/1 for nominal attributes and (a − b)² for ratings. It handles
 * any number of annotators and missing labels; clips with a single value are not pairable and are left out.
 */
public final class Agreement {
    private Agreement() {}

    /** One alpha per attribute, with how many clips had two or more values. */
    public record Result(String attribute, double alpha, int clips, int values) {}

    /** {@code units}: per clip, the values given by the annotators. NaN when nothing is pairable or D_e is 0. */
    public static Result alpha(String attribute, Collection<List<String>> units, boolean interval) {
        List<List<String>> pairable = new ArrayList<>();
        for (List<String> u : units) if (u.size() >= 2) pairable.add(u);
        int n = pairable.stream().mapToInt(List::size).sum();
        if (n < 2) return new Result(attribute, Double.NaN, pairable.size(), n);
        double observed = 0;
        for (List<String> u : pairable) {
            double s = 0;
            for (int i = 0; i < u.size(); i++)
                for (int j = 0; j < u.size(); j++) if (i != j) s += delta(u.get(i), u.get(j), interval);
            observed += s / (u.size() - 1);
        }
        observed /= n;
        List<String> all = new ArrayList<>();
        pairable.forEach(all::addAll);
        double expected = 0;
        for (int i = 0; i < all.size(); i++)
            for (int j = 0; j < all.size(); j++) if (i != j) expected += delta(all.get(i), all.get(j), interval);
        expected /= (double) n * (n - 1);
        double alpha = expected == 0 ? (observed == 0 ? 1.0 : Double.NaN) : 1 - observed / expected;
        return new Result(attribute, alpha, pairable.size(), n);
    }

    private static double delta(String a, String b, boolean interval) {
        if (!interval) return a.equals(b) ? 0 : 1;
        double d = Double.parseDouble(a) - Double.parseDouble(b);
        return d * d;
    }
}
