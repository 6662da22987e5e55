package dev.zoetrope.curate.pipeline;

import java.util.List;

import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.train.shards.ShardTensor;

/** Stores each caption's token ids ({@code text_ids}, I32) from the text encoder's tokenizer beside the frames. */
public record CaptionTokens(Tokenizer tokenizer) implements ShardExtras {
    @Override
    public List<ShardTensor> tensors(ClipResult clip, String caption, byte[] frames) {
        return List.of(ShardTensor.textIds(tokenizer.encode(caption)));
    }
}
