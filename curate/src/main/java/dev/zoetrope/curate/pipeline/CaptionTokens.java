package dev.zoetrope.curate.pipeline;

import java.nio.file.Path;
import java.util.List;

import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.shards.ShardTensor;

/**
 * Stores each caption's token ids ({@code text_ids}, I32) from the text encoder's tokenizer beside the frames. Names the
 * tokenizer ({@code path}, cut at {@code maxLength} tokens); each worker loads it in {@link #open}.
 */
public record CaptionTokens(String path, int maxLength) implements ShardExtras {
    @Override
    public List<ShardTensor> tensors(ClipResult clip, String caption, byte[] frames) {
        throw new IllegalStateException("open() the caption tokens on the worker first");
    }

    @Override
    public ShardExtras open() {
        Tokenizer tok = Tokenizers.load(Path.of(path), maxLength);
        return (clip, caption, frames) -> List.of(ShardTensor.textIds(tok.encode(caption)));
    }
}
