package dev.zoetrope.models.pipeline;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;

/**
 * A zoetrope model's own settings ({@value ModelDirectory#ZOETROPE_CONFIG}), each overriding its family's when
 * present (null when absent).
 *
 * @param resolutions name → [width, height]
 * @param shift       the schedule shift the model was trained for (its sampler's unless {@code --shift} says otherwise)
 * @param recipe      the training recipe that made the model, for the record
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ZoetropeConfig(
        @JsonProperty("name") String name,
        @JsonProperty("resolutions") Map<String, List<Integer>> resolutions,
        @JsonProperty("default_resolution") String defaultResolution,
        @JsonProperty("fps") Integer fps,
        @JsonProperty("min_seconds") Double minSeconds,
        @JsonProperty("max_seconds") Double maxSeconds,
        @JsonProperty("default_seconds") Double defaultSeconds,
        @JsonProperty("default_steps") Integer defaultSteps,
        @JsonProperty("default_guidance") Double defaultGuidance,
        @JsonProperty("default_seed") Long defaultSeed,
        @JsonProperty("default_negative_prompt") String defaultNegativePrompt,
        @JsonProperty("shift") Double shift,
        @JsonProperty("recipe") String recipe) {

    public ZoetropeConfig {
        resolutions = resolutions == null ? Map.of() : new LinkedHashMap<>(resolutions);
        resolutions.forEach((n, wh) -> {
            if (wh == null || wh.size() != 2 || wh.stream().anyMatch(v -> v == null || v < 1))
                throw new ConfigException("resolutions." + n + " must be [width, height], not " + wh);
        });
        if (shift != null && !(shift > 0 && Double.isFinite(shift)))
            throw new ConfigException("shift must be a positive number, not " + shift);
        if (defaultResolution != null && !resolutions.isEmpty() && !resolutions.containsKey(defaultResolution))
            throw new ConfigException("default_resolution '" + defaultResolution + "' is not among " + resolutions.keySet());
    }

    /** Reads and checks {@code file}; errors name it. */
    public static ZoetropeConfig read(Path file) {
        return Json.bind(Json.readTree(file), ZoetropeConfig.class, file.toString());
    }

    /** The resolutions as name → {width, height}. */
    public Map<String, int[]> resolutionSizes() {
        Map<String, int[]> out = new LinkedHashMap<>();
        resolutions.forEach((n, wh) -> out.put(n, new int[]{wh.get(0), wh.get(1)}));
        return out;
    }
}
