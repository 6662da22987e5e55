package dev.zoetrope.serve;

import dev.zoetrope.models.pipeline.GenerationRequest;

/**
 * A job's parameters with the model's defaults filled in at submission, so a job re-run after a restart
 * produces the same clip and the gallery can show what was used.
 */
public record JobParams(String prompt, String negativePrompt, String resolution, double duration, long seed,
                        double cfg, int steps, String format) {
    public GenerationRequest toRequest() {
        return new GenerationRequest(prompt, negativePrompt, resolution, duration, seed, cfg, steps);
    }
}
