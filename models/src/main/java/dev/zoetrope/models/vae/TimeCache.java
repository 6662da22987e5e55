package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.Scopes;

/**
 * What each causal time convolution remembers of the previous chunk (the reference's {@code feat_cache}):
 * up to {@link #FRAMES} of its last input frames, so that a clip processed chunk by chunk sees exactly
 * the context a whole-clip pass would. Each conv owns one slot, numbered when the model is built.
 * Tensors are pinned here and outlive the per-chunk scopes; {@link #close} frees them.
 */
final class TimeCache implements AutoCloseable {
    /** Frames kept per slot: the time padding of a kernel-3 causal conv. */
    static final int FRAMES = 2;

    private final Tensor[] frames;
    private final boolean[] started;

    TimeCache(int slots) {
        frames = new Tensor[slots];
        started = new boolean[slots];
    }

    /** Whether the slot has seen a chunk (the first chunk may leave no frames, only this mark). */
    boolean started(int slot) {
        return started[slot];
    }

    /** The remembered frames, or null. */
    Tensor frames(int slot) {
        return frames[slot];
    }

    void markStarted(int slot) {
        started[slot] = true;
    }

    /** Remembers {@code t} (a fresh tensor, not a view) for the next chunk, freeing what was there. */
    void store(int slot, Tensor t) {
        Tensor old = frames[slot];
        frames[slot] = Scopes.pin(t);
        started[slot] = true;
        if (old != null) Scopes.release(old);
    }

    @Override
    public void close() {
        for (int i = 0; i < frames.length; i++) {
            if (frames[i] != null) Scopes.release(frames[i]);
            frames[i] = null;
            started[i] = false;
        }
    }

    /** Hands out slot numbers while a model is built. */
    static final class Slots {
        private int next;

        int take() {
            return next++;
        }

        int count() {
            return next;
        }
    }
}
