package dev.zoetrope.curate.filter;

import java.io.Serializable;
import java.nio.file.Path;

import dev.zoetrope.core.config.Json;

/**
 * The rule thresholds of the quality filter. Values are for the signals as defined in docs/curation.md; sharpness
 * depends on the output resolution, so set it for yours. Loadable from a snake_case JSON file.
 */
public record FilterConfig(double staticMotion, double minSharpness, double minBrightness, double maxBrightness,
                           double maxBorder, double maxText, int duplicateDistance, double minAesthetic)
        implements Serializable {
    public static final FilterConfig DEFAULT = new FilterConfig(0.5, 25, 0.15, 0.9, 0.08, 0.05, 14, 0.5);

    public FilterConfig {
        if (duplicateDistance < 0 || duplicateDistance >= dev.zoetrope.curate.signals.NearDuplicates.BANDS)
            throw new IllegalArgumentException("duplicate_distance must be within 0.." + (dev.zoetrope.curate.signals.NearDuplicates.BANDS - 1)
                    + " (the LSH banding finds every pair up to that), got " + duplicateDistance);
    }

    public static FilterConfig read(Path file) {
        return Json.read(file, FilterConfig.class);
    }
}
