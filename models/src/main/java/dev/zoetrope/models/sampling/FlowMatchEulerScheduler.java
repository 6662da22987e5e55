package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.ScalarTypes;

/**
 * First-order Euler steps along the flow: {@code x ← x + (σ_{k+1} − σ_k)·v}, computed in float32 as diffusers'
 * FlowMatchEulerDiscreteScheduler does. Stateless; works on any schedule (Linum's shifted one, or Wan's as an
 * alternative to UniPC).
 */
public final class FlowMatchEulerScheduler implements FlowScheduler {
    public static final double DEFAULT_SHIFT = 3.0;
    public static final int TRAIN_STEPS = 1000;

    private final FlowSchedule schedule;

    public FlowMatchEulerScheduler(FlowSchedule schedule) {
        this.schedule = schedule;
    }

    /** Linum's sampler: diffusers' schedule with shift 3 over 1000 training steps. */
    public static FlowMatchEulerScheduler linum(int steps) {
        return new FlowMatchEulerScheduler(FlowSchedule.shiftedEuler(steps, DEFAULT_SHIFT, TRAIN_STEPS));
    }

    @Override
    public FlowSchedule schedule() {
        return schedule;
    }

    @Override
    public Tensor step(int k, Tensor x, Tensor v) {
        float dt = schedule.sigma(k + 1) - schedule.sigma(k);
        Tensor xf = ScalarTypes.cast(x, ScalarType.Float);
        Tensor vf = ScalarTypes.cast(v, ScalarType.Float);
        return xf.add(vf.mul(Ops.scalar(dt)));
    }

    @Override
    public void close() {}
}
