package dev.zoetrope.curate.labels;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One thing an annotator is asked about a clip.
 *
 * @param name    key in the database and in exports
 * @param title   what the page shows
 * @param kind    {@code rating} (integers min..max, compared on an interval scale), {@code choice} (one of options),
 *                or {@code flag} (yes/no); choice and flag are nominal
 * @param options for choice: the options; for flag: ["no", "yes"]; for rating: the values as strings
 * @param keys    one keyboard key per option, in the same order
 */
public record Attribute(@JsonProperty("name") String name, @JsonProperty("title") String title,
                        @JsonProperty("kind") String kind, @JsonProperty("options") List<String> options,
                        @JsonProperty("keys") List<String> keys, @JsonProperty("min") Integer min,
                        @JsonProperty("max") Integer max) {
    public Attribute {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("attribute without a name");
        if (kind == null) kind = "choice";
        switch (kind) {
            case "rating" -> {
                int lo = min == null ? 1 : min, hi = max == null ? 5 : max;
                if (hi < lo) throw new IllegalArgumentException("attribute '" + name + "': max " + hi + " below min " + lo);
                min = lo;
                max = hi;
                if (options == null) options = java.util.stream.IntStream.rangeClosed(lo, hi).mapToObj(String::valueOf).toList();
            }
            case "flag" -> {
                if (options == null) options = List.of("no", "yes");
            }
            case "choice" -> {
                if (options == null || options.isEmpty()) throw new IllegalArgumentException("attribute '" + name + "': a choice needs options");
            }
            default -> throw new IllegalArgumentException("attribute '" + name + "': kind must be rating, choice or flag, not '" + kind + "'");
        }
        if (title == null) title = name;
        if (keys != null && keys.size() != options.size())
            throw new IllegalArgumentException("attribute '" + name + "': " + keys.size() + " keys for " + options.size() + " options");
        if (keys == null) keys = List.of();
    }

    public boolean interval() {
        return kind.equals("rating");
    }

    public boolean accepts(String value) {
        return options.contains(value);
    }
}
