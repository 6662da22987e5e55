package dev.zoetrope.train.loop;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.Ops;

/** An exponential moving average of the weights; sampling and the shipped model use it. */
public final class Ema implements AutoCloseable {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> shadow = new LinkedHashMap<>();
    private final double decay;

    public Ema(Map<String, Tensor> params, double decay) {
        this.params = params;
        this.decay = decay;
        try (NoGradGuard ng = new NoGradGuard()) {
            params.forEach((k, p) -> shadow.put(k, Scopes.pin(p.detach().clone())));
        }
    }

    /** shadow ← decay·shadow + (1−decay)·param, with the decay warmed up over the first steps. */
    public void update(long step) {
        double d = Math.min(decay, (1.0 + step) / (10.0 + step));
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            params.forEach((k, p) -> shadow.get(k).lerp_(p.detach(), Ops.scalar(1 - d)));
        }
    }

    public Map<String, Tensor> weights() {
        return shadow;
    }

    public void load(Map<String, Tensor> state) {
        try (NoGradGuard ng = new NoGradGuard()) {
            for (var e : shadow.entrySet()) {
                Tensor t = state.get(e.getKey());
                if (t == null) throw new InvalidRequestException("checkpoint lacks EMA weight '" + e.getKey() + "'");
                e.getValue().copy_(t);
            }
        }
    }

    @Override
    public void close() {
        shadow.values().forEach(Scopes::release);
        shadow.clear();
    }
}
