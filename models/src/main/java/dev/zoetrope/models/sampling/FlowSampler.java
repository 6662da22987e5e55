package dev.zoetrope.models.sampling;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

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
        Tensor x = noise;
        boolean owned = false;
        try {
            for (int k = 0; k < n; k++) {
                if (listener.cancelled()) throw new GenerationCancelledException();
                Tensor next;
                try (PointerScope step = new PointerScope()) {
                    GuidedVelocity.Prediction p = model.predict(x, schedule.timestep(k));
                    Tensor v = guidance.combine(p.cond(), p.uncond());
                    next = scheduler.step(k, x, v);
                    next.retainReference();
                }
                if (owned) x.releaseReference();
                x = next;
                owned = true;
                listener.stepDone(k + 1, n);
            }
        } catch (RuntimeException | Error e) {
            if (owned) x.releaseReference();
            throw e;
        }
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.attach(x);
            x.releaseReference();
        }
        return x;
    }
}
