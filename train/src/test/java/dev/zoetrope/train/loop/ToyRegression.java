package dev.zoetrope.train.loop;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.Ops;

/** A two-layer MLP fitting y = sin(3·x₀) + x₁², with fresh random inputs per micro-batch. */
final class ToyRegression implements TrainingTask {
    private final Map<String, Tensor> params = new LinkedHashMap<>();

    ToyRegression(long seed) {
        Engine.init();
        Generator g = torch.make_generator_cpu(seed);
        params.put("w1", param(torch.randn(new long[]{32, 2}, new GeneratorOptional(g), new TensorOptions()).mul(Ops.scalar(0.5))));
        params.put("b1", param(torch.zeros(32)));
        params.put("w2", param(torch.randn(new long[]{1, 32}, new GeneratorOptional(g), new TensorOptions()).mul(Ops.scalar(0.2))));
        params.put("b2", param(torch.zeros(1)));
    }

    private static Tensor param(Tensor t) {
        return Scopes.pin(t.detach().requires_grad_(true));
    }

    @Override
    public Map<String, Tensor> parameters() {
        return params;
    }

    @Override
    public Tensor loss(int step, int micro, Share share, Generator rng) {
        Tensor x = share.of(torch.rand(new long[]{share.total(), 2}, new GeneratorOptional(rng), new TensorOptions()).mul(Ops.scalar(2)).sub(Ops.scalar(1)));
        Tensor y = torch.sin(x.select(1, 0).mul(Ops.scalar(3))).add(x.select(1, 1).pow(Ops.scalar(2))).unsqueeze(1);
        Tensor h = torch.tanh(Ops.linear(x, params.get("w1"), params.get("b1")));
        Tensor pred = Ops.linear(h, params.get("w2"), params.get("b2"));
        return torch.mse_loss(pred, y);
    }

    /**
     * This task, sleeping {@code pause.apply(step)} before each loss: a slow step to kill a process in, or a stuck one
     * (the probes of the kill and stuck-rank tests).
     */
    TrainingTask pausing(java.util.function.IntFunction<java.time.Duration> pause) {
        ToyRegression self = this;
        return new TrainingTask() {
            @Override
            public Map<String, Tensor> parameters() {
                return self.parameters();
            }

            @Override
            public Tensor loss(int step, int micro, Share share, Generator rng) {
                try {
                    Thread.sleep(pause.apply(step));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return self.loss(step, micro, share, rng);
            }
        };
    }

    void close() {
        params.values().forEach(Scopes::release);
    }
}
