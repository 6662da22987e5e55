package dev.zoetrope.models.pipeline;

/**
 * What to generate. Null fields take the model family's defaults ({@link ModelCapabilities}).
 *
 * @param resolution a name the model supports, e.g. {@code 360p}
 * @param durationSeconds clip length; frames = fps·⌊seconds⌋+1 for Linum
 * @param guidanceScale APG or CFG scale, depending on the family
 */
public record GenerationRequest(String prompt, String negativePrompt, String resolution, Double durationSeconds,
                                Long seed, Double guidanceScale, Integer steps) {
    public static GenerationRequest of(String prompt) {
        return new GenerationRequest(prompt, null, null, null, null, null, null);
    }
}
