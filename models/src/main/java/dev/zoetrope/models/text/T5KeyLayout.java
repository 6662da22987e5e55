package dev.zoetrope.models.text;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;

/**
 * How a checkpoint names the T5 encoder's tensors. The model speaks Hugging Face's encoder names with the token
 * embedding as {@code shared.weight}.
 */
sealed interface T5KeyLayout extends KeyLayout {
    String SHARED = "shared.weight";
    String EMBED_TOKENS = "encoder.embed_tokens.weight";

    /** Recognises the layout from the embedding's name. */
    static T5KeyLayout detect(Weights w) {
        if (w.contains(Wan.EMBEDDING)) return new Wan(w.contains(Wan.SHARED_POSITIONS));
        if (w.contains(EMBED_TOKENS)) return new HuggingFace(EMBED_TOKENS);
        if (w.contains(SHARED)) return new HuggingFace(SHARED);
        throw new ModelLoadException(w.source() + " does not look like a T5 encoder: it has none of '" + SHARED + "', '"
                + EMBED_TOKENS + "' (Hugging Face names) or '" + Wan.EMBEDDING + "' (Wan 2.1's umT5)");
    }

    /**
     * Hugging Face names. An encoder-only export may name the embedding {@code encoder.embed_tokens.weight} instead
     * of {@code shared.weight} (or hold both, tied), and a whole seq2seq checkpoint also holds a decoder the encoder
     * does not use.
     */
    record HuggingFace(String embedding) implements T5KeyLayout {
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

    /**
     * Wan 2.1's own umT5 names ({@code models_t5_umt5-xxl-enc-bf16.pth}): {@code token_embedding},
     * {@code blocks.N.attn.{q,k,v,o}}, {@code blocks.N.ffn.{gate.0,fc1,fc2}} (gate.0 is the GELU branch: HF's wi_0),
     * {@code blocks.N.norm1/norm2}, {@code blocks.N.pos_embedding.embedding} (one table per block; a shared one is
     * {@code pos_embedding.embedding} at the top), {@code norm}.
     *
     * @param sharedPositions one position table at the top instead of one per block
     */
    record Wan(boolean sharedPositions) implements T5KeyLayout {
        static final String EMBEDDING = "token_embedding.weight";
        static final String SHARED_POSITIONS = "pos_embedding.embedding.weight";
        private static final Pattern BLOCK = Pattern.compile("encoder\\.block\\.(\\d+)\\.layer\\.([01])\\.(.+)");

        @Override
        public String fileKey(String modelKey) {
            if (modelKey.equals(SHARED)) return EMBEDDING;
            if (modelKey.equals("encoder.final_layer_norm.weight")) return "norm.weight";
            Matcher m = BLOCK.matcher(modelKey);
            if (!m.matches()) return modelKey;
            String b = "blocks." + m.group(1) + ".";
            return switch (m.group(3)) {
                case "layer_norm.weight" -> b + (m.group(2).equals("0") ? "norm1.weight" : "norm2.weight");
                case "SelfAttention.q.weight" -> b + "attn.q.weight";
                case "SelfAttention.k.weight" -> b + "attn.k.weight";
                case "SelfAttention.v.weight" -> b + "attn.v.weight";
                case "SelfAttention.o.weight" -> b + "attn.o.weight";
                case "SelfAttention.relative_attention_bias.weight" -> sharedPositions ? SHARED_POSITIONS : b + "pos_embedding.embedding.weight";
                case "DenseReluDense.wi_0.weight" -> b + "ffn.gate.0.weight";
                case "DenseReluDense.wi_1.weight" -> b + "ffn.fc1.weight";
                case "DenseReluDense.wo.weight" -> b + "ffn.fc2.weight";
                default -> modelKey;
            };
        }

        @Override
        public String describe() {
            return "Wan 2.1 umT5 names";
        }
    }
}
