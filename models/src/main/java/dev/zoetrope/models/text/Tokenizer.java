package dev.zoetrope.models.text;

import java.util.List;

/**
 * Text to token ids for a T5-family encoder. {@link #encode} appends the end-of-sequence token and
 * truncates to {@link #maxLength()}, keeping the end-of-sequence token last.
 */
public interface Tokenizer {

    /** The ids of {@code text}, ending with {@link #eosId()}, at most {@link #maxLength()} long. */
    int[] encode(String text);

    /** The pieces {@code text} splits into, before the end-of-sequence token and before truncation. */
    List<String> pieces(String text);

    int eosId();

    int padId();

    int unkId();

    /** Number of pieces in the vocabulary (the encoder's embedding table may be larger). */
    int vocabSize();

    /** The longest id sequence {@link #encode} returns. */
    int maxLength();

    /** Appends {@code eos} to {@code ids} and truncates the whole to {@code maxLength}, keeping {@code eos} last. */
    static int[] withEos(int[] ids, int eos, int maxLength) {
        int n = Math.min(ids.length, maxLength - 1);
        int[] out = java.util.Arrays.copyOf(ids, n + 1);
        out[n] = eos;
        return out;
    }
}
