package dev.zoetrope.core.engine;

import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

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

    /**
     * {@link #keep} for several results: each moves to the enclosing scope (or, if there is none, to the caller, who
     * must close them).
     */
    public static <T extends Pointer> List<T> keepAll(Supplier<List<T>> body) {
        PointerScope outer = PointerScope.getInnerScope();
        List<T> results;
        try (PointerScope inner = new PointerScope()) {
            results = List.copyOf(body.get());
            for (T r : results) r.retainReference();
        }
        if (outer != null)
            for (T r : results) {
                outer.attach(r);
                r.releaseReference();
            }
        return results;
    }

    /**
     * A value carried through a loop that replaces it each iteration (denoising steps, network stages, blocks):
     * <pre>
     *   try (Scopes.Carried&lt;Tensor&gt; x = Scopes.carry(input)) {
     *       for (Stage s : stages) x.update(s::apply);   // each update in its own scope
     *       return x.result();                           // to the enclosing scope
     *   }
     * </pre>
     * Each update runs in a fresh scope, so its temporaries are freed on return; the previous value is freed once
     * the next one exists. The first value stays its owner's. On an exception, {@link #close} frees the last value.
     */
    public static <T extends Pointer> Carried<T> carry(T initial) {
        return new Carried<>(initial);
    }

    /** See {@link #carry}. */
    public static final class Carried<T extends Pointer> implements AutoCloseable {
        private T value;
        private boolean owned;

        private Carried(T initial) {
            this.value = initial;
        }

        public T get() {
            return value;
        }

        /** Replaces the value with {@code step} of it, computed in a fresh scope. */
        public void update(UnaryOperator<T> step) {
            T next;
            try (PointerScope inner = new PointerScope()) {
                next = step.apply(value);
                next.retainReference();
            }
            // a step that returns a view keeps its storage alive on the native side
            if (owned) value.releaseReference();
            value = next;
            owned = true;
        }

        /** The last value, handed to the enclosing scope (or to the caller when there is none). */
        public T result() {
            PointerScope outer = PointerScope.getInnerScope();
            if (owned && outer != null) {
                outer.attach(value);
                value.releaseReference();
            }
            owned = false;
            return value;
        }

        @Override
        public void close() {
            if (owned) value.releaseReference();
            owned = false;
        }
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
     * Moves {@code p} out of every scope: no scope closing frees it, only {@link #release} or, as for any native
     * object outside a scope, the garbage collector once nothing refers to {@code p} (JavaCPP's collector ignores the
     * pin). For long-lived objects such as model weights, held in a field.
     */
    public static <T extends Pointer> T pin(T p) {
        p.retainReference();
        return p;
    }

    /**
     * Runs {@code body} in a fresh scope (its temporaries freed on return) and returns its result pinned, as
     * {@link #pin} does: for tensors that outlive every scope, such as weights as they are loaded.
     */
    public static <T extends Pointer> T pinned(Supplier<T> body) {
        try (PointerScope inner = new PointerScope()) {
            T result = body.get();
            result.retainReference();
            return result;
        }
    }

    /** Frees an object pinned with {@link #pin}. */
    public static void release(Pointer p) {
        if (p != null && !p.isNull()) p.releaseReference();
    }
}
