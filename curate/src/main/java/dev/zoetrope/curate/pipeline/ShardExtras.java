package dev.zoetrope.curate.pipeline;

import java.io.Serializable;
import java.util.List;

import dev.zoetrope.train.shards.ShardTensor;

/**
 * A hook for text-side tensors stored beside a clip's frames: text-encoder token ids and states (VAE latents come from
 * {@link ClipLatents}).
 * Given the clip, its caption and its RGB frames (F×H×W×3), return the extra tensors (e.g. {@code text_ids},
 * {@code text_states}); return an empty list to store frames only.
 *
 * <p>It travels to the workers that write the shards, so it is serializable and holds what to load, not what was
 * loaded: each worker calls {@link #open} once (a tokenizer or a text encoder is loaded there) and {@link #close} when
 * it is done.
 */
@FunctionalInterface
public interface ShardExtras extends Serializable {
    ShardExtras NONE = (clip, caption, frames) -> List.of();

    List<ShardTensor> tensors(ClipResult clip, String caption, byte[] frames);

    /** On a worker, before the first clip: the instance to use there (this one, unless something must be loaded). */
    default ShardExtras open() {
        return this;
    }

    /** On a worker, after the last clip, on what {@link #open} returned. */
    default void close() {}
}
