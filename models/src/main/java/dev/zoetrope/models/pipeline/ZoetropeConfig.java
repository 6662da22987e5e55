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
            // checked before anything is allocated: a typo of 640000 would otherwise ask for terabytes
            if (wh.stream().anyMatch(v -> v > MAX_SIDE))
                throw new ConfigException("resolutions." + n + " is " + wh + "; each side must be at most " + MAX_SIDE + " pixels");
        });
        if (fps != null && (fps < 1 || fps > 240)) throw new ConfigException("fps must be within 1..240, not " + fps);
        for (var e : new Object[][]{{"min_seconds", minSeconds}, {"max_seconds", maxSeconds}, {"default_seconds", defaultSeconds}})
            if (e[1] != null && !((Double) e[1] > 0 && (Double) e[1] <= 600))
                throw new ConfigException(e[0] + " must be above 0 and at most 600, not " + e[1]);
        if (minSeconds != null && maxSeconds != null && minSeconds > maxSeconds)
            throw new ConfigException("min_seconds " + minSeconds + " is above max_seconds " + maxSeconds);
        if (defaultSteps != null && (defaultSteps < 1 || defaultSteps > 1000))
            throw new ConfigException("default_steps must be within 1..1000, not " + defaultSteps);
        if (defaultGuidance != null && !(defaultGuidance >= 0 && defaultGuidance <= 100))
            throw new ConfigException("default_guidance must be within 0..100, not " + defaultGuidance);
        if (defaultSeed != null && defaultSeed < 0)
            throw new ConfigException("default_seed must be 0 or more, not " + defaultSeed);
        if (shift != null && !(shift > 0 && Double.isFinite(shift)))
            throw new ConfigException("shift must be a positive number, not " + shift);
        if (defaultResolution != null && !resolutions.isEmpty() && !resolutions.containsKey(defaultResolution))
            throw new ConfigException("default_resolution '" + defaultResolution + "' is not among " + resolutions.keySet());
    }

    /** The largest width or height a zoetrope.json may declare. */
    public static final int MAX_SIDE = 8192;

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
