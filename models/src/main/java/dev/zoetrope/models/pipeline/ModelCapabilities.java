package dev.zoetrope.models.pipeline;

import java.util.Map;

import dev.zoetrope.core.InvalidRequestException;

/**
 * What a loaded model accepts and its defaults, so CLIs and services can validate requests up front.
 *
 * @param resolutions name → {width, height}
 */
public record ModelCapabilities(String family, Map<String, int[]> resolutions, String defaultResolution,
                                double minSeconds, double maxSeconds, double defaultSeconds, int fps,
                                int minSteps, int maxSteps, int defaultSteps, double defaultGuidance,
                                String defaultNegativePrompt, long defaultSeed, int maxPromptTokens) {
    /** The name of the resolution of {@code width}×{@code height}, as Wan's {@code --size 832*480} gives it. */
    public String resolutionOf(int width, int height) {
        for (Map.Entry<String, int[]> e : resolutions.entrySet())
            if (e.getValue()[0] == width && e.getValue()[1] == height) return e.getKey();
        throw new InvalidRequestException("size " + width + "*" + height + " is not offered; " + family + " makes "
                + String.join(", ", resolutions.entrySet().stream()
                        .map(e -> e.getValue()[0] + "*" + e.getValue()[1] + " (" + e.getKey() + ")").toList()));
    }
}
