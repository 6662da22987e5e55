package dev.zoetrope.models.pipeline;

import java.util.Map;

/**
 * What a loaded model accepts and its defaults, so CLIs and services can validate requests up front.
 *
 * @param resolutions name → {width, height}
 */
public record ModelCapabilities(String family, Map<String, int[]> resolutions, String defaultResolution,
                                double minSeconds, double maxSeconds, double defaultSeconds, int fps,
                                int minSteps, int maxSteps, int defaultSteps, double defaultGuidance,
                                String defaultNegativePrompt, long defaultSeed, int maxPromptTokens) {}
