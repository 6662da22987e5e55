package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Scopes;

import dev.zoetrope.core.progress.GenerationCancelledException;

/**
 * The denoising loop: from noise at σ = 1 to a latent at σ = 0, one model evaluation per step, guided and
 * integrated by the given {@link Guidance} and {@link FlowScheduler}. Linum v2 uses Euler + APG, Wan 2.1 uses
 * UniPC + CFG. Each step runs in its own native scope, so memory stays flat over any number of steps.
 */
public final class FlowSampler {
    /** Hears about each finished step and may stop the run between steps. */
    public interface StepListener {
        void stepDone(int done, int total);

        default boolean cancelled() {
            return false;
        }

        StepListener NONE = (done, total) -> {};
    }

    private final FlowScheduler scheduler;
    private final Guidance guidance;

    public FlowSampler(FlowScheduler scheduler, Guidance guidance) {
        this.scheduler = scheduler;
        this.guidance = guidance;
    }

    /**
     * Integrates from {@code noise} (left untouched) through all steps of the schedule and returns the final
     * latent, owned by the caller's scope.
     *
     * @throws GenerationCancelledException when the listener cancels between steps
     */
    public Tensor sample(Tensor noise, GuidedVelocity model, StepListener listener) {
        FlowSchedule schedule = scheduler.schedule();
        int n = schedule.steps();
        try (Scopes.Carried<Tensor> x = Scopes.carry(noise)) {
            for (int k = 0; k < n; k++) {
                if (listener.cancelled()) throw new GenerationCancelledException();
                int step = k;
                x.update(latent -> {
                    GuidedVelocity.Prediction p = model.predict(latent, schedule.timestep(step));
                    return requireFinite(scheduler.step(step, latent, guidance.combine(p.cond(), p.uncond())), step, n);
                });
                listener.stepDone(k + 1, n);
            }
            return x.result();
        }
    }

    /**
     * Stops a run whose latent has gone NaN or infinite (broken weights, an overflowing dtype) with a clear error, rather
     * than let it decode to black frames. One reduction per step; nothing to check on meta.
     */
    private static Tensor requireFinite(Tensor latent, int step, int steps) {
        if (!latent.is_meta() && !Scopes.value(() -> torch.isfinite(latent).all().item_bool()))
            throw new InvalidRequestException("the latent holds NaN or infinite values after step " + (step + 1) + " of " + steps
                    + ": the model's outputs are not finite (damaged weights, or a dtype too narrow for them); nothing was written");
        return latent;
    }
}
