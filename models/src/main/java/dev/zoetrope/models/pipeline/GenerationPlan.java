package dev.zoetrope.models.pipeline;

import java.util.Locale;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.ModelFamily;

/**
 * A request with every default filled in and every value checked against the model's capabilities: what one
 * generation will actually do. A request the model cannot carry out is the caller's to fix: {@link
 * InvalidRequestException}.
 */
public record GenerationPlan(String prompt, String negativePrompt, String resolution, int width, int height,
                             double seconds, int frames, int fps, long seed, double guidanceScale, int steps) {

    public static GenerationPlan resolve(GenerationRequest r, ModelCapabilities caps, ModelFamily family) {
        String prompt = r.prompt() == null ? "" : r.prompt().strip();
        if (prompt.isEmpty()) throw new InvalidRequestException("the prompt is empty; say what the video should show");
        String negative = r.negativePrompt() == null ? caps.defaultNegativePrompt() : r.negativePrompt();
        String res = r.resolution() == null ? caps.defaultResolution() : r.resolution().strip().toLowerCase(Locale.ROOT);
        int[] wh = caps.resolutions().get(res);
        if (wh == null)
            throw new InvalidRequestException("unknown resolution '" + r.resolution() + "'; " + caps.family() + " supports "
                    + String.join(", ", caps.resolutions().keySet()));
        double seconds = r.durationSeconds() == null ? caps.defaultSeconds() : r.durationSeconds();
        if (!(seconds >= caps.minSeconds() && seconds <= caps.maxSeconds()))
            throw new InvalidRequestException(String.format(Locale.ROOT, "duration %s s is out of range; %s makes clips of %s to %s s",
                    trim(seconds), caps.family(), trim(caps.minSeconds()), trim(caps.maxSeconds())));
        int steps = r.steps() == null ? caps.defaultSteps() : r.steps();
        if (steps < caps.minSteps() || steps > caps.maxSteps())
            throw new InvalidRequestException("--num-steps " + steps + " is out of range " + caps.minSteps() + ".." + caps.maxSteps());
        double scale = r.guidanceScale() == null ? caps.defaultGuidance() : r.guidanceScale();
        if (!(scale >= 0 && scale <= 100))
            throw new InvalidRequestException("guidance scale " + scale + " is out of range 0..100");
        long seed = r.seed() == null ? caps.defaultSeed() : r.seed() == GenerationRequest.RANDOM_SEED ? GenerationRequest.randomSeed()
                : r.seed();
        if (seed < 0)
            throw new InvalidRequestException("seed " + seed + " is negative; give 0 to " + Long.MAX_VALUE + ", or "
                    + GenerationRequest.RANDOM_SEED + " for a random seed");
        return new GenerationPlan(prompt, negative, res, wh[0], wh[1], seconds, family.frames(seconds, caps.fps()), caps.fps(), seed,
                scale, steps);
    }

    /** The request as it was carried out, for {@link GenerationResult#resolved()}. */
    public GenerationRequest asRequest() {
        return new GenerationRequest(prompt, negativePrompt, resolution, seconds, seed, guidanceScale, steps);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
