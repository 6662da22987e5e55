package dev.zoetrope.train.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;

/**
 * Subword regularisation for a Unigram {@code tokenizer.json}: encodes a text as the tokenizer does, except that each
 * piece longer than one character is, with probability {@code p}, spelled by its best segmentation without itself
 * ({@code ▁purple} as {@code ▁pur ple} or letters). Training on such spellings teaches the text encoder the small pieces
 * and letters that an unseen word ({@code purplish}) falls into; the tokenizer itself is unchanged.
 */
public final class SubwordDropout {
    private final Tokenizer tokenizer;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Double> logp = new HashMap<>();

    private SubwordDropout(Path file, int maxLength) {
        this.tokenizer = Tokenizers.load(file, maxLength);
        JsonNode vocab = Json.readTree(file).path("model").path("vocab");
        if (!vocab.isArray() || vocab.isEmpty()) throw new IllegalArgumentException(file + ": no Unigram vocabulary");
        for (int i = 0; i < vocab.size(); i++) {
            String piece = vocab.get(i).get(0).asText();
            ids.put(piece, i);
            if (i >= 3) logp.put(piece, vocab.get(i).get(1).asDouble()); // the specials never segment text
        }
    }

    /** The tokenizer of the Unigram {@code tokenizer.json} {@code file}, truncating to {@code maxLength} ids. */
    public static SubwordDropout load(Path file, int maxLength) {
        return new SubwordDropout(file, maxLength);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** {@code text}'s ids, each piece longer than a character re-spelled with probability {@code p} (0: as the tokenizer). */
    public int[] encode(String text, double p, SplittableRandom rnd) {
        List<String> pieces = new ArrayList<>();
        for (String piece : tokenizer.pieces(text)) {
            boolean drop = piece.codePointCount(0, piece.length()) > 1 && logp.containsKey(piece) && rnd.nextDouble() < p;
            if (drop) pieces.addAll(UnigramTrainer.viterbi(piece, logp, piece).pieces());
            else pieces.add(piece);
        }
        int[] out = new int[pieces.size()];
        for (int i = 0; i < out.length; i++) out[i] = ids.getOrDefault(pieces.get(i), tokenizer.unkId());
        return Tokenizer.withEos(out, tokenizer.eosId(), tokenizer.maxLength());
    }
}
