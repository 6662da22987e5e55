package dev.zoetrope.curate.filter;

import java.io.Serializable;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.signals.NearDuplicates;

/**
 * The rule thresholds of the quality filter. Values are for the signals as defined in docs/curation.md; sharpness
 * depends on the output resolution, so set it for yours. Loadable from a snake_case JSON file.
 *
 * @param minVisible the least share of the picture area at luma ≥ 48 ({@code visible}) a clip needs not to be too dark
 */
public record FilterConfig(double staticMotion, double minSharpness, double minVisible, double maxBrightness,
                           double maxBorder, double maxText, int duplicateDistance, double minAesthetic)
        implements Serializable {
    public static final FilterConfig DEFAULT = new FilterConfig(0.5, 25, 0.05, 0.9, 0.08, 0.05, 14, 0.5);

    public FilterConfig {
        if (duplicateDistance < 0 || duplicateDistance >= NearDuplicates.BANDS)
            throw new IllegalArgumentException("duplicate_distance must be within 0.." + (NearDuplicates.BANDS - 1)
                    + " (the LSH banding finds every pair up to that), got " + duplicateDistance);
        if (minVisible < 0 || minVisible > 1)
            throw new IllegalArgumentException("min_visible is a share of the picture, within 0..1, got " + minVisible);
    }

    public static FilterConfig read(Path file) {
        JsonNode tree = Json.readTree(file);
        // The old mean-brightness threshold would be silently ignored; say what replaced it instead.
        if (tree.has("min_brightness"))
            throw new IllegalArgumentException(file + ": min_brightness is no longer read; too_dark is judged by min_visible, "
                    + "the least share of the picture at luma >= 48 (default " + DEFAULT.minVisible() + ")");
        return Json.read(file, FilterConfig.class);
    }
}
