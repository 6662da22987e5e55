package dev.zoetrope.api;

/**
 * What to generate besides the prompt. A null field takes the model's default.
 *
 * @param negativePrompt what to steer away from
 * @param resolution     a name the model supports, e.g. {@code 360p}
 * @param seconds        the clip's length
 * @param seed           0 or more; {@value #RANDOM_SEED} draws one (the {@link Video} records it)
 * @param guidanceScale  the guidance scale (APG or CFG, depending on the model)
 * @param steps          sampling steps
 */
public record Settings(String negativePrompt, String resolution, Double seconds, Long seed, Double guidanceScale,
                       Integer steps) {
    public static final long RANDOM_SEED = -1;
    public static final Settings DEFAULT = new Settings(null, null, null, null, null, null);

    public Settings withNegativePrompt(String v) {
        return new Settings(v, resolution, seconds, seed, guidanceScale, steps);
    }

    public Settings withResolution(String v) {
        return new Settings(negativePrompt, v, seconds, seed, guidanceScale, steps);
    }

    public Settings withSeconds(double v) {
        return new Settings(negativePrompt, resolution, v, seed, guidanceScale, steps);
    }

    public Settings withSeed(long v) {
        return new Settings(negativePrompt, resolution, seconds, v, guidanceScale, steps);
    }

    public Settings withGuidanceScale(double v) {
        return new Settings(negativePrompt, resolution, seconds, seed, v, steps);
    }

    public Settings withSteps(int v) {
        return new Settings(negativePrompt, resolution, seconds, seed, guidanceScale, v);
    }
}
