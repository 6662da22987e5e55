package dev.zoetrope.curate.pipeline;

import java.nio.file.Path;
import java.util.List;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.shards.ShardTensor;

/**
 * Precomputes the text side for training: each caption's token ids ({@code text_ids}, I32 (L)) and the text
 * encoder's hidden states for them ({@code text_states}, F32 (L, D)), so the trainer need not run the encoder.
 * Names the tokenizer and the encoder directory; each worker loads them in {@link #open}. Every native tensor is freed
 * before the next clip.
 */
public record TextStates(String tokenizer, int maxLength, String encoder) implements ShardExtras {
    @Override
    public List<ShardTensor> tensors(ClipResult clip, String caption, byte[] frames) {
        throw new IllegalStateException("open() the text states on the worker first");
    }

    @Override
    public ShardExtras open() {
        Engine.init();
        return new Loaded(Tokenizers.load(Path.of(tokenizer), maxLength), T5Encoder.load(Path.of(encoder)));
    }

    private record Loaded(Tokenizer tokenizer, T5Encoder encoder) implements ShardExtras {
        @Override
        public List<ShardTensor> tensors(ClipResult clip, String caption, byte[] frames) {
            int[] ids = tokenizer.encode(caption);
            float[] states = Scopes.value(() -> {
                Tensor h = encoder.encode(ids);
                return Tensors.toFloats(h);
            });
            int d = states.length / ids.length;
            return List.of(ShardTensor.textIds(ids), ShardTensor.f32(ShardTensor.TEXT_STATES, new long[]{ids.length, d}, states));
        }

        @Override
        public void close() {
            encoder.close();
        }
    }
}
