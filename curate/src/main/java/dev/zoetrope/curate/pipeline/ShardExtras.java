package dev.zoetrope.curate.pipeline;

import java.util.List;

import dev.zoetrope.train.shards.ShardTensor;

/**
 * A hook for text-side tensors stored beside a clip's frames: text-encoder token ids and states (VAE latents come from
 * {@link ClipLatents}).
 * Given the clip, its caption and its RGB frames (F×H×W×3), return the extra tensors (e.g. {@code text_ids},
 * {@code text_states}); return an empty list to store frames only.
 */
@FunctionalInterface
public interface ShardExtras {
    ShardExtras NONE = (clip, caption, frames) -> List.of();

    List<ShardTensor> tensors(ClipResult clip, String caption, byte[] frames);
}
