package dev.zoetrope.models.vae;

import java.util.List;
import java.util.function.UnaryOperator;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.Scopes;

/**
 * Runs a network's stages in order with flat memory. A PointerScope frees its tensors only when it
 * closes, so one scope around a whole decoder pass would hold every intermediate activation at once
 * (gigabytes at 360p). Here each stage runs in its own scope, and each stage's output is freed as soon as
 * the next stage has produced its own: at any time only one stage's temporaries and two activations live.
 */
final class Stages {
    private Stages() {}

    /** Applies {@code stages} to {@code x}; the result belongs to the caller's scope. */
    static Tensor run(Tensor x, List<UnaryOperator<Tensor>> stages) {
        try (Scopes.Carried<Tensor> current = Scopes.carry(x)) {
            for (UnaryOperator<Tensor> stage : stages) current.update(stage);
            return current.result();
        }
    }
}
