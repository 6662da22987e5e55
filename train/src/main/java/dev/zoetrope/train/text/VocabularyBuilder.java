package dev.zoetrope.train.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;

/**
 * Builds a word-level Unigram {@code tokenizer.json} for a small closed-vocabulary model: one piece per
 * word seen in the training captions (scored by log frequency), plus every single character as a
 * low-scoring fallback, so an unseen word still splits into known pieces instead of {@code <unk>}.
 * Lowercased, runs of whitespace collapsed, split with a {@code ▁} prefix, {@code </s>} appended: the same layout as T5's.
 */
public final class VocabularyBuilder {
    public static final String SPACE = "\u2581";
    static final String FALLBACK_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"-()&/";

    private final Map<String, Integer> counts = new TreeMap<>();

    public VocabularyBuilder add(String caption) {
        for (String w : caption.toLowerCase(Locale.ROOT).trim().split("\\s+"))
            if (!w.isEmpty()) counts.merge(w, 1, Integer::sum);
        return this;
    }

    public VocabularyBuilder addAll(Collection<String> captions) {
        captions.forEach(this::add);
        return this;
    }

    /** The pieces in id order: {@code <pad>}=0, {@code </s>}=1, {@code <unk>}=2, then words, then characters. */
    public Map<String, Double> pieces() {
        long total = counts.values().stream().mapToLong(Integer::longValue).sum();
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("<pad>", 0.0);
        out.put("</s>", 0.0);
        out.put("<unk>", 0.0);
        counts.forEach((w, c) -> out.put(SPACE + w, Math.log((double) c / Math.max(1, total))));
        out.putIfAbsent(SPACE, -20.0);
        for (char ch : FALLBACK_CHARS.toCharArray()) {
            out.putIfAbsent(String.valueOf(ch), -20.0);
            out.putIfAbsent(SPACE + ch, -20.0);
        }
        return out;
    }

    /** Writes the Hugging Face tokenizer.json. */
    public void write(Path file) throws IOException {
        write(pieces(), file);
    }

    /**
     * Writes a Hugging Face {@code tokenizer.json} of a Unigram model with {@code pieces} (piece → log probability) in id
     * order, the first three being {@code <pad>}, {@code </s>} and {@code <unk>}: T5's normalizer, Metaspace
     * pre-tokenizer and {@code </s>} post-processor.
     */
    public static void write(Map<String, Double> pieces, Path file) throws IOException {
        ObjectNode root = Json.PLAIN.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<pad>", "</s>", "<unk>"};
        for (int i = 0; i < specials.length; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", specials[i]);
            t.put("special", true);
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode normalizers = norm.putArray("normalizers");
        normalizers.addObject().put("type", "NFKC");
        normalizers.addObject().put("type", "Lowercase");
        ObjectNode collapse = normalizers.addObject();
        collapse.put("type", "Replace");
        collapse.putObject("pattern").put("Regex", "\\s+");
        collapse.put("content", " ");
        ObjectNode strip = normalizers.addObject();
        strip.put("type", "Strip");
        strip.put("strip_left", true);
        strip.put("strip_right", true);
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Metaspace");
        pre.put("replacement", SPACE);
        pre.put("prepend_scheme", "always");
        pre.put("split", true);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", 2);
        model.put("byte_fallback", false);
        ArrayNode vocab = model.putArray("vocab");
        pieces.forEach((p, s) -> vocab.addArray().add(p).add(s));
        AtomicFiles.writeString(file, Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }
}
