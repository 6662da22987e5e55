package dev.zoetrope.train.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Trains a subword vocabulary the way SentencePiece's unigram trainer does: start from the frequent substrings of the
 * corpus's words, fit the pieces' probabilities by EM (expected counts over every segmentation of every word), and
 * repeatedly drop the pieces whose removal costs the corpus the least likelihood until {@code vocabSize} remain. Every
 * character of the corpus (and {@link VocabularyBuilder}'s fallback characters) stays a piece, so any word segments.
 * Because the vocabulary is smaller than the corpus's words, rarer words are spelled from shared pieces ({@code ▁left}
 * {@code ward}), and a word never seen ({@code leftwards}) falls into pieces the text encoder knows.
 *
 * <p>Deterministic: the corpus is read into sorted maps, every sum runs in a fixed order and ties break by the piece's
 * text, so the same corpus gives the same file bit for bit.
 */
public final class UnigramTrainer {
    /** Substrings longer than this are not candidates. */
    private static final int MAX_PIECE = 16;
    /** Candidate pieces to start from (SentencePiece's seed_sentencepiece_size, scaled to a caption corpus). */
    private static final int SEEDS = 20_000;
    /** The fraction of pieces each pruning round keeps (SentencePiece's shrinking_factor). */
    private static final double SHRINK = 0.75;
    private static final int EM_ROUNDS = 2;

    private UnigramTrainer() {}

    /**
     * The vocabulary for {@code captions} as {@link VocabularyBuilder#write(Map, java.nio.file.Path)} takes it: the three
     * special pieces, then the learnt pieces by falling log probability, then the characters the corpus lacks.
     *
     * @param vocabSize pieces in all, specials included; at least the specials and the characters
     */
    public static Map<String, Double> train(Collection<String> captions, int vocabSize) {
        Map<String, Long> words = words(captions);
        if (words.isEmpty()) throw new IllegalArgumentException("the corpus has no words");
        Set<String> required = new TreeSet<>();
        required.add(VocabularyBuilder.SPACE);
        for (String w : words.keySet()) w.codePoints().forEach(c -> required.add(Character.toString(c)));
        int specials = 3;
        if (vocabSize < specials + required.size())
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below the " + (specials + required.size())
                    + " pieces every corpus character and the specials need");

        Map<String, Double> logp = seeds(words, required);
        for (int i = 0; i < EM_ROUNDS; i++) logp = em(words, logp, required);
        while (logp.size() > vocabSize - specials) {
            int keep = Math.max(vocabSize - specials, (int) (logp.size() * SHRINK));
            logp = prune(words, logp, required, keep);
            for (int i = 0; i < EM_ROUNDS; i++) logp = em(words, logp, required);
        }

        Map<String, Double> out = new LinkedHashMap<>();
        out.put("<pad>", 0.0);
        out.put("</s>", 0.0);
        out.put("<unk>", 0.0);
        logp.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        double floor = logp.values().stream().mapToDouble(Double::doubleValue).min().orElse(0) - 10;
        for (char ch : VocabularyBuilder.FALLBACK_CHARS.toCharArray()) out.putIfAbsent(String.valueOf(ch), floor);
        return out;
    }

    /** The corpus's words with their counts, as the tokenizer sees them: NFKC, lowercase, a {@code ▁} before each. */
    static Map<String, Long> words(Collection<String> captions) {
        Map<String, Long> words = new TreeMap<>();
        for (String caption : captions) {
            String text = Normalizer.normalize(caption, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).strip();
            for (String w : text.split("\\s+"))
                if (!w.isEmpty()) words.merge(VocabularyBuilder.SPACE + w, 1L, Long::sum);
        }
        return words;
    }

    /** The most frequent substrings (by count × length), with every required character, as initial log probabilities. */
    private static Map<String, Double> seeds(Map<String, Long> words, Set<String> required) {
        Map<String, Long> counts = new TreeMap<>();
        words.forEach((w, n) -> {
            for (int i = 0; i < w.length(); i++)
                for (int j = i + 1; j <= Math.min(w.length(), i + MAX_PIECE); j++) {
                    String piece = w.substring(i, j);
                    // the word mark only begins a piece, as Metaspace puts it only before a word
                    if (piece.indexOf(VocabularyBuilder.SPACE, 1) >= 0) continue;
                    counts.merge(piece, n, Long::sum);
                }
        });
        List<Map.Entry<String, Long>> ranked = new ArrayList<>(counts.entrySet());
        ranked.sort(Comparator.<Map.Entry<String, Long>>comparingLong(e -> -e.getValue() * e.getKey().length())
                .thenComparing(Map.Entry.comparingByKey()));
        Map<String, Long> kept = new TreeMap<>();
        for (String r : required) kept.put(r, Math.max(1, counts.getOrDefault(r, 1L)));
        for (Map.Entry<String, Long> e : ranked) {
            if (kept.size() >= SEEDS) break;
            if (e.getKey().length() > 1 && e.getValue() >= 2) kept.putIfAbsent(e.getKey(), e.getValue());
        }
        return normalised(kept);
    }

    private static Map<String, Double> normalised(Map<String, ? extends Number> counts) {
        double total = 0;
        for (Number n : counts.values()) total += n.doubleValue();
        Map<String, Double> out = new TreeMap<>();
        for (Map.Entry<String, ? extends Number> e : counts.entrySet())
            out.put(e.getKey(), Math.log(e.getValue().doubleValue() / total));
        return out;
    }

    /**
     * One EM step: expected piece counts over all segmentations of every word (forward-backward), then new log
     * probabilities; pieces expected less than once a corpus go, unless required.
     */
    private static Map<String, Double> em(Map<String, Long> words, Map<String, Double> logp, Set<String> required) {
        Map<String, Double> expected = new TreeMap<>();
        for (Map.Entry<String, Long> e : words.entrySet()) {
            String w = e.getKey();
            int n = w.length();
            double[] alpha = new double[n + 1], beta = new double[n + 1];
            java.util.Arrays.fill(alpha, Double.NEGATIVE_INFINITY);
            java.util.Arrays.fill(beta, Double.NEGATIVE_INFINITY);
            alpha[0] = 0;
            for (int j = 1; j <= n; j++)
                for (int i = Math.max(0, j - MAX_PIECE); i < j; i++) {
                    Double p = logp.get(w.substring(i, j));
                    if (p != null) alpha[j] = logAdd(alpha[j], alpha[i] + p);
                }
            beta[n] = 0;
            for (int i = n - 1; i >= 0; i--)
                for (int j = i + 1; j <= Math.min(n, i + MAX_PIECE); j++) {
                    Double p = logp.get(w.substring(i, j));
                    if (p != null) beta[i] = logAdd(beta[i], p + beta[j]);
                }
            double z = alpha[n];
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j <= Math.min(n, i + MAX_PIECE); j++) {
                    String piece = w.substring(i, j);
                    Double p = logp.get(piece);
                    if (p != null) expected.merge(piece, e.getValue() * Math.exp(alpha[i] + p + beta[j] - z), Double::sum);
                }
        }
        Map<String, Double> kept = new TreeMap<>();
        for (String piece : logp.keySet()) {
            double c = expected.getOrDefault(piece, 0.0);
            if (c >= 1 || required.contains(piece)) kept.put(piece, Math.max(c, 1e-3));
        }
        return normalised(kept);
    }

    /**
     * Keeps the {@code keep} pieces the corpus needs most: a piece's loss is how much the corpus's best-segmentation
     * log likelihood falls without it (each word it appears in re-segmented without it); required pieces always stay.
     */
    private static Map<String, Double> prune(Map<String, Long> words, Map<String, Double> logp, Set<String> required, int keep) {
        Map<String, List<String>> users = new TreeMap<>();
        Map<String, Double> best = new HashMap<>();
        for (String w : words.keySet()) {
            Viterbi v = viterbi(w, logp, null);
            best.put(w, v.score);
            for (String piece : new TreeSet<>(v.pieces)) users.computeIfAbsent(piece, k -> new ArrayList<>()).add(w);
        }
        List<Map.Entry<String, Double>> losses = new ArrayList<>();
        for (String piece : logp.keySet()) {
            if (required.contains(piece)) continue;
            double loss = 0;
            for (String w : users.getOrDefault(piece, List.of()))
                loss += words.get(w) * (best.get(w) - viterbi(w, logp, piece).score);
            losses.add(Map.entry(piece, loss));
        }
        losses.sort(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        Map<String, Double> out = new TreeMap<>();
        for (String r : required) out.put(r, logp.get(r));
        for (Map.Entry<String, Double> e : losses) {
            if (out.size() >= keep) break;
            out.put(e.getKey(), logp.get(e.getKey()));
        }
        return out;
    }

    record Viterbi(double score, List<String> pieces) {}

    /** The most likely segmentation of {@code w} without the piece {@code without} (null: with all). */
    static Viterbi viterbi(String w, Map<String, Double> logp, String without) {
        int n = w.length();
        double[] score = new double[n + 1];
        int[] from = new int[n + 1];
        java.util.Arrays.fill(score, Double.NEGATIVE_INFINITY);
        score[0] = 0;
        for (int j = 1; j <= n; j++)
            for (int i = Math.max(0, j - MAX_PIECE); i < j; i++) {
                String piece = w.substring(i, j);
                if (piece.equals(without)) continue;
                Double p = logp.get(piece);
                if (p != null && score[i] + p > score[j]) {
                    score[j] = score[i] + p;
                    from[j] = i;
                }
            }
        List<String> pieces = new ArrayList<>();
        for (int j = n; j > 0; j = from[j]) pieces.addFirst(w.substring(from[j], j));
        return new Viterbi(score[n], pieces);
    }

    private static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) return b;
        if (b == Double.NEGATIVE_INFINITY) return a;
        return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
    }
}
