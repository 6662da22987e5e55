package dev.zoetrope.serve;

import java.util.List;

import dev.zoetrope.models.pipeline.GenerationRequest;

/**
 * A job's parameters with the model's defaults filled in at submission, so a job re-run after a restart
 * produces the same clip and the gallery can show what was used.
 */
public record JobParams(String prompt, String negativePrompt, String resolution, double duration, long seed,
                        double cfg, int steps, String format, List<JobLora> loras) {
    /** A LoRA adapter of the server's {@link LoraCatalog}, by name, at a strength, applied to this job alone. */
    public record JobLora(String name, double strength) {}

    public JobParams {
        loras = loras == null ? List.of() : List.copyOf(loras);
    }

    /** Parameters without adapters. */
    public JobParams(String prompt, String negativePrompt, String resolution, double duration, long seed, double cfg, int steps,
                     String format) {
        this(prompt, negativePrompt, resolution, duration, seed, cfg, steps, format, List.of());
    }

    public GenerationRequest toRequest() {
        return new GenerationRequest(prompt, negativePrompt, resolution, duration, seed, cfg, steps);
    }
}
