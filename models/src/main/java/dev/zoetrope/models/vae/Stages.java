package dev.zoetrope.models.vae;

import java.util.List;
import java.util.function.UnaryOperator;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

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
        Tensor current = x;
        boolean owned = false;
        for (UnaryOperator<Tensor> stage : stages) {
            Tensor input = current;
            Tensor next;
            try (PointerScope scope = new PointerScope()) {
                next = stage.apply(input);
                next.retainReference();
            }
            // Views (e.g. a stage returning its input) keep their storage alive on the native side.
            if (owned) input.releaseReference();
            current = next;
            owned = true;
        }
        PointerScope outer = PointerScope.getInnerScope();
        if (owned && outer != null) {
            outer.attach(current);
            current.releaseReference();
        }
        return current;
    }
}
