package dev.zoetrope.core.engine;

import java.util.function.Supplier;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Deterministic freeing of native tensors.
 *
 * <p>Every native object made while a {@link PointerScope} is open belongs to the innermost scope and is
 * freed when that scope closes. {@link #keep} runs a computation in its own scope and hands only the
 * result to the enclosing scope, so the temporaries of a forward pass are freed at once.
 */
public final class Scopes {
    private Scopes() {}

    /**
     * Runs {@code body} in a fresh scope; every temporary it makes is freed on return, and the result
     * moves to the enclosing scope (or, if there is none, to the caller, who must close it).
     */
    public static <T extends Pointer> T keep(Supplier<T> body) {
        PointerScope outer = PointerScope.getInnerScope();
        T result;
        try (PointerScope inner = new PointerScope()) {
            result = body.get();
            if (result != null) result.retainReference();
        }
        if (result != null && outer != null) {
            outer.attach(result);
            result.releaseReference();
        }
        return result;
    }

    /** Runs {@code body} in a fresh scope and frees everything it made. */
    public static void run(Runnable body) {
        try (PointerScope inner = new PointerScope()) {
            body.run();
        }
    }

    /** Runs {@code body} in a fresh scope, frees every native object it made, and returns its plain Java value. */
    public static <T> T value(Supplier<T> body) {
        try (PointerScope inner = new PointerScope()) {
            T v = body.get();
            if (v instanceof Pointer) throw new IllegalArgumentException("use keep() for native results");
            return v;
        }
    }

    /**
     * Moves {@code p} out of every scope: it stays alive until {@link #release} is called. For long-lived
     * objects such as model weights.
     */
    public static <T extends Pointer> T pin(T p) {
        p.retainReference();
        return p;
    }

    /** Frees an object pinned with {@link #pin}. */
    public static void release(Pointer p) {
        if (p != null && !p.isNull()) p.releaseReference();
    }
}
