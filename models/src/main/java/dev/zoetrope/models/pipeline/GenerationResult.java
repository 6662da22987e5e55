package dev.zoetrope.models.pipeline;

import java.nio.file.Path;

/**
 * A finished clip and the parameters actually used (defaults filled in).
 *
 * @param ditForwards DiT evaluations the clip cost, one per sample per step (a guided step is two), -1 when the
 *                    generator does not count them
 * @param skippedForwards evaluations the step cache replaced by the last computed residual
 */
public record GenerationResult(Path video, GenerationRequest resolved, int width, int height, int frames, int fps,
                               double seconds, int ditForwards, int skippedForwards) {
    /** A result from a generator without a DiT to count. */
    public GenerationResult(Path video, GenerationRequest resolved, int width, int height, int frames, int fps, double seconds) {
        this(video, resolved, width, height, frames, fps, seconds, -1, 0);
    }
}
