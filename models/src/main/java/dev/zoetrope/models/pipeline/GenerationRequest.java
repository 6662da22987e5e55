package dev.zoetrope.models.pipeline;

/**
 * What to generate. Null fields take the model family's defaults ({@link ModelCapabilities}).
 *
 * @param resolution a name the model supports, e.g. {@code 360p}
 * @param durationSeconds clip length; frames = fps·⌊seconds⌋+1 for Linum
 * @param guidanceScale APG or CFG scale, depending on the family
 * @param seed 0..2^63-1; {@value #RANDOM_SEED} for a random one (drawn when the plan is made and recorded in the
 *             result, so the clip can be made again); null for the model's default seed
 */
public record GenerationRequest(String prompt, String negativePrompt, String resolution, Double durationSeconds,
                                Long seed, Double guidanceScale, Integer steps) {
    /** The seed that asks for a random seed. */
    public static final long RANDOM_SEED = -1;

    /** A fresh random seed, in 0..2^63-2. */
    public static long randomSeed() {
        return java.util.concurrent.ThreadLocalRandom.current().nextLong(Long.MAX_VALUE);
    }

    public static GenerationRequest of(String prompt) {
        return new GenerationRequest(prompt, null, null, null, null, null, null);
    }
}
