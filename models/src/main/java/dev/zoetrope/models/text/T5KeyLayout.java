package dev.zoetrope.models.text;

import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;

/**
 * How a checkpoint names the T5 encoder's tensors. The model speaks Hugging Face's encoder names with the token
 * embedding as {@code shared.weight}; an encoder-only export may name it {@code encoder.embed_tokens.weight}
 * instead (or hold both, tied), and a whole seq2seq checkpoint also holds a decoder the encoder does not use.
 */
record T5KeyLayout(String embedding) implements KeyLayout {
    static final String SHARED = "shared.weight";
    static final String EMBED_TOKENS = "encoder.embed_tokens.weight";

    /** Hugging Face names, with the embedding where {@code w} has it. */
    static T5KeyLayout detect(Weights w) {
        if (w.contains(EMBED_TOKENS)) return new T5KeyLayout(EMBED_TOKENS);
        if (w.contains(SHARED)) return new T5KeyLayout(SHARED);
        throw new ModelLoadException(w.source() + " does not look like a T5 encoder: it has neither '" + SHARED + "' nor '"
                + EMBED_TOKENS + "' (Hugging Face names)");
    }

    @Override
    public String fileKey(String modelKey) {
        return modelKey.equals(SHARED) ? embedding : modelKey;
    }

    /** The encoder's tensors: not a decoder's or a language-model head's, nor the tied twin of the embedding. */
    @Override
    public boolean covers(String fileKey) {
        if (fileKey.startsWith("decoder.") || fileKey.startsWith("lm_head.")) return false;
        return !(fileKey.equals(SHARED) || fileKey.equals(EMBED_TOKENS)) || fileKey.equals(embedding);
    }

    @Override
    public String describe() {
        return "Hugging Face T5 encoder names";
    }
}
