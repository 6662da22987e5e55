package dev.zoetrope.train.dit;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.models.nn.Ops;

/**
 * The flow-matching objective in the Linum convention: {@code x_s = (1−s)·data + s·noise}, the model
 * predicts {@code noise − data}, and s is drawn logit-normal then shifted like the sampler's schedule,
 * {@code s ← shift·s/(1+(shift−1)·s)}, so training spends its effort where sampling does.
 * Linum's shift 3 suits 360p and 720p, where neighbouring pixels repeat each other and the layout is set at high
 * noise. Small clips want shift 1: at 64×64 a square's corners form at low noise, where shift 3 puts under 3% of its
 * draws (σ < 0.3) against about 20% for shift 1.
 */
public final class FlowMatching {
    /**
     * One noised batch: model input, sigmas (B), model timesteps = 1000·sigma (B), regression target. Input and target
     * live where the data does; sigmas and timesteps stay where they were drawn, on the host, as the DiT reads its
     * timesteps as numbers.
     */
    public record Noised(Tensor input, Tensor sigmas, Tensor timesteps, Tensor target) {}

    private final double logitMean;
    private final double logitStd;
    private final double shift;

    public FlowMatching(double logitMean, double logitStd, double shift) {
        if (!(logitStd > 0)) throw new IllegalArgumentException("logit std must be > 0");
        if (!(shift > 0)) throw new IllegalArgumentException("shift must be > 0");
        this.logitMean = logitMean;
        this.logitStd = logitStd;
        this.shift = shift;
    }

    /** sigma per sample in (0, 1), float32, on the host. */
    public Tensor sampleSigmas(int batch, Generator rng) {
        Tensor u = torch.randn(new long[]{batch}, new GeneratorOptional(rng), new TensorOptions(ScalarType.Float))
                .mul(Ops.scalar(logitStd)).add(Ops.scalar(logitMean));
        Tensor s = torch.sigmoid(u);
        return s.mul(Ops.scalar(shift)).div(s.mul(Ops.scalar(shift - 1)).add(Ops.scalar(1.0)));
    }

    /**
     * Sigmas for a few-step student (reflow): with probability {@code uniformShare} uniform in [0, 1), else one of the
     * sampler's steps plus N(0, jitter²), clamped to [0, 1]. A few Euler steps only ever ask the model at those sigmas,
     * so training spends its effort there; a step is picked in proportion to its length σ_k − σ_{k+1}, because that is
     * how much an error in its velocity moves the result (the last step of a shifted Euler schedule, from σ ≈ 0.001 to
     * 0, hardly counts). The uniform share keeps the rest of the path sane. Float32 (B) on the host, from four draws of
     * {@code rng} per call in a fixed order.
     *
     * @param schedule the sampler's sigmas, n + 1 of them from noise to 0 ({@code FlowSchedule.sigmas()})
     */
    public static Tensor aroundSteps(float[] schedule, double jitter, double uniformShare, int batch, Generator rng) {
        int n = schedule.length - 1;
        if (n < 1) throw new IllegalArgumentException("a schedule has at least two sigmas, got " + schedule.length);
        double[] cumulative = new double[n];
        double total = 0;
        for (int k = 0; k < n; k++) cumulative[k] = total += schedule[k] - schedule[k + 1];
        if (!(total > 0)) throw new IllegalArgumentException("the schedule's sigmas must fall: " + java.util.Arrays.toString(schedule));
        TensorOptions f32 = new TensorOptions(ScalarType.Float);
        float[] pick = dev.zoetrope.core.engine.Tensors.toFloats(torch.rand(new long[]{batch}, new GeneratorOptional(rng), f32));
        float[] uniform = dev.zoetrope.core.engine.Tensors.toFloats(torch.rand(new long[]{batch}, new GeneratorOptional(rng), f32));
        float[] which = dev.zoetrope.core.engine.Tensors.toFloats(torch.rand(new long[]{batch}, new GeneratorOptional(rng), f32));
        float[] offset = dev.zoetrope.core.engine.Tensors.toFloats(torch.randn(new long[]{batch}, new GeneratorOptional(rng), f32));
        float[] s = new float[batch];
        for (int b = 0; b < batch; b++) {
            if (pick[b] < uniformShare) {
                s[b] = uniform[b];
                continue;
            }
            int k = 0;
            while (k < n - 1 && which[b] * total >= cumulative[k]) k++;
            s[b] = (float) Math.clamp(schedule[k] + jitter * offset[b], 0.0, 1.0);
        }
        return dev.zoetrope.core.engine.Tensors.fromFloats(s, batch);
    }

    /**
     * Noises {@code data} (B, ...) at fresh sigmas. Sigmas and noise are drawn on the host with {@code rng}, then moved to
     * the data's device: a seed gives the same run on every device.
     */
    public Noised noise(Tensor data, Generator rng) {
        int b = (int) data.size(0);
        Tensor sigmas = sampleSigmas(b, rng);
        Tensor noise = torch.randn(dev.zoetrope.core.engine.Tensors.shape(data), new GeneratorOptional(rng), new TensorOptions(ScalarType.Float));
        return at(data, Ops.toDeviceOf(noise, data), sigmas);
    }

    /** The noised input and target for given noise (on the data's device) and sigmas (anywhere; moved to the data's). */
    public static Noised at(Tensor data, Tensor noise, Tensor sigmas) {
        long[] view = new long[(int) data.dim()];
        java.util.Arrays.fill(view, 1);
        view[0] = data.size(0);
        Tensor s = Ops.toDeviceOf(sigmas, data).view(view);
        Tensor input = data.mul(s.neg().add(Ops.scalar(1.0))).add(noise.mul(s));
        return new Noised(input, sigmas, sigmas.mul(Ops.scalar(1000.0)), noise.sub(data));
    }

    /** Mean squared error between prediction and target, in float32. */
    public static Tensor loss(Tensor prediction, Tensor target) {
        return Ops.mseLoss(prediction.to(ScalarType.Float), target.to(ScalarType.Float));
    }

    /**
     * Mean squared error with per-position weights (B, 1, T, H, W) of mean 1, in float32; {@code weights} null is
     * {@link #loss(Tensor, Tensor)}.
     */
    public static Tensor loss(Tensor prediction, Tensor target, Tensor weights) {
        if (weights == null) return loss(prediction, target);
        return prediction.to(ScalarType.Float).sub(target.to(ScalarType.Float)).pow(Ops.scalar(2)).mul(weights).mean();
    }
}
