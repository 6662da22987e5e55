package dev.zoetrope.models.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.text.SentencePieceModel.Piece;
import dev.zoetrope.models.text.SentencePieceModel.PieceType;

/**
 * The tokenizer of a Hugging Face {@code tokenizer.json} with a Unigram model, as T5 and umT5 ship it:
 * a normaliser chain (Precompiled charsmap, Strip, Replace, Unicode forms), a Metaspace pre-tokeniser
 * (spaces become {@code ▁}, a {@code ▁} prefix, one word per {@code ▁}), and a post-processor that appends
 * {@code </s>}. The Precompiled step applies SentencePiece's longest-prefix rewrite over UTF-8 bytes, so the
 * ids equal those of the {@code spiece.model} the file was converted from. Special tokens written literally in
 * the text are segmented as ordinary text.
 */
public final class HuggingFaceTokenizer implements Tokenizer {
    private final List<UnaryOperator<String>> normalizers;
    private final List<PreTokenizer> preTokenizers;
    private final UnigramModel unigram;
    private final int eosId, padId, maxLength;

    private HuggingFaceTokenizer(List<UnaryOperator<String>> normalizers, List<PreTokenizer> preTokenizers,
                                 UnigramModel unigram, int eosId, int padId, int maxLength) {
        this.normalizers = normalizers;
        this.preTokenizers = preTokenizers;
        this.unigram = unigram;
        this.eosId = eosId;
        this.padId = padId;
        this.maxLength = maxLength;
    }

    public static HuggingFaceTokenizer load(Path file, int maxLength) {
        JsonNode root;
        try {
            root = Json.readTree(file);
        } catch (ConfigException e) {
            throw new TokenizerException(e.getMessage(), e);
        }
        return fromJson(root, maxLength, file.toString());
    }

    /** Builds the tokenizer from the parsed {@code tokenizer.json}; {@code source} names it in messages. */
    public static HuggingFaceTokenizer fromJson(JsonNode root, int maxLength, String source) {
        if (maxLength < 1) throw new IllegalArgumentException("max length must be at least 1, got " + maxLength);
        JsonNode model = root.path("model");
        if (!"Unigram".equals(model.path("type").asText()))
            throw new TokenizerException(source + ": model type '" + model.path("type").asText("(none)")
                    + "' is not supported (only Unigram)");
        JsonNode unk = model.path("unk_id");
        if (!unk.canConvertToInt()) throw new TokenizerException(source + ": the Unigram model has no unk_id");
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);

        Set<String> special = new HashSet<>();
        for (JsonNode t : root.path("added_tokens")) if (t.path("special").asBoolean(false)) special.add(t.path("content").asText());

        JsonNode vocab = model.path("vocab");
        if (!vocab.isArray() || vocab.isEmpty()) throw new TokenizerException(source + ": model.vocab is missing or empty");
        List<Piece> pieces = new ArrayList<>(vocab.size());
        Pattern bytePiece = Pattern.compile("<0x[0-9A-F]{2}>");
        for (int id = 0; id < vocab.size(); id++) {
            JsonNode e = vocab.get(id);
            if (!e.isArray() || e.size() != 2 || !e.get(0).isTextual() || !e.get(1).isNumber())
                throw new TokenizerException(source + ": model.vocab[" + id + "] is not a [piece, score] pair");
            String text = e.get(0).asText();
            PieceType type = id == unk.asInt() ? PieceType.UNKNOWN
                    : special.contains(text) ? PieceType.CONTROL
                    : byteFallback && bytePiece.matcher(text).matches() ? PieceType.BYTE
                    : PieceType.NORMAL;
            pieces.add(new Piece(text, (float) e.get(1).asDouble(), type));
        }
        UnigramModel unigram = new UnigramModel(pieces, unk.asInt(), byteFallback, source);

        List<UnaryOperator<String>> normalizers = new ArrayList<>();
        addNormalizer(root.path("normalizer"), normalizers, source);
        List<PreTokenizer> preTokenizers = new ArrayList<>();
        addPreTokenizer(root.path("pre_tokenizer"), preTokenizers, source);

        int eos = eosFromPostProcessor(root.path("post_processor"), unigram, source);
        int pad = root.path("padding").path("pad_id").canConvertToInt() ? root.path("padding").path("pad_id").asInt()
                : Math.max(unigram.id("<pad>"), 0);
        return new HuggingFaceTokenizer(List.copyOf(normalizers), List.copyOf(preTokenizers), unigram, eos, pad, maxLength);
    }

    @Override
    public int[] encode(String text) {
        return Tokenizer.withEos(segments(text).stream().mapToInt(UnigramModel.Segment::id).toArray(), eosId, maxLength);
    }

    @Override
    public List<String> pieces(String text) {
        return segments(text).stream().map(UnigramModel.Segment::text).toList();
    }

    private List<UnigramModel.Segment> segments(String text) {
        String s = text;
        for (UnaryOperator<String> n : normalizers) s = n.apply(s);
        List<String> words = List.of(s);
        for (PreTokenizer p : preTokenizers) words = p.split(words);
        List<UnigramModel.Segment> out = new ArrayList<>();
        for (String w : words) out.addAll(unigram.encode(w));
        return out;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int padId() {
        return padId;
    }

    @Override
    public int unkId() {
        return unigram.unkId();
    }

    @Override
    public int vocabSize() {
        return unigram.size();
    }

    @Override
    public int maxLength() {
        return maxLength;
    }

    // ---- normalisers ----

    private static void addNormalizer(JsonNode n, List<UnaryOperator<String>> out, String source) {
        if (n.isMissingNode() || n.isNull()) return;
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode child : n.path("normalizers")) addNormalizer(child, out, source);
            }
            case "Precompiled" -> {
                JsonNode b64 = n.path("precompiled_charsmap");
                byte[] blob = b64.isTextual() ? decodeBase64(b64.asText(), source) : new byte[0];
                CharsMap map = CharsMap.parse(blob, source);
                out.add(map::apply);
            }
            case "Strip" -> {
                boolean left = n.path("strip_left").asBoolean(n.path("left").asBoolean(true));
                boolean right = n.path("strip_right").asBoolean(n.path("right").asBoolean(true));
                out.add(s -> strip(s, left, right));
            }
            case "Replace" -> {
                JsonNode pattern = n.path("pattern");
                String content = n.path("content").asText();
                if (pattern.has("String")) {
                    String literal = pattern.get("String").asText();
                    out.add(s -> s.replace(literal, content));
                } else if (pattern.has("Regex")) {
                    Pattern re;
                    try {
                        re = Pattern.compile(pattern.get("Regex").asText());
                    } catch (PatternSyntaxException e) {
                        throw new TokenizerException(source + ": Replace normaliser has an invalid regex: " + e.getDescription(), e);
                    }
                    String replacement = Matcher.quoteReplacement(content);
                    out.add(s -> re.matcher(s).replaceAll(replacement));
                } else {
                    throw new TokenizerException(source + ": Replace normaliser has no String or Regex pattern");
                }
            }
            case "Prepend" -> {
                String prefix = n.path("prepend").asText();
                out.add(s -> s.isEmpty() ? s : prefix + s);
            }
            case "NFKC" -> out.add(s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKC));
            case "NFC" -> out.add(s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC));
            case "NFKD" -> out.add(s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKD));
            case "NFD" -> out.add(s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD));
            case "Lowercase" -> out.add(s -> s.toLowerCase(Locale.ROOT));
            default -> throw new TokenizerException(source + ": normalizer type '" + type + "' is not supported");
        }
    }

    private static byte[] decodeBase64(String text, String source) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(source + ": precompiled_charsmap is not valid base64", e);
        }
    }

    private static String strip(String s, boolean left, boolean right) {
        int start = 0, end = s.length();
        while (left && start < end && isWhiteSpace(s.codePointAt(start))) start += Character.charCount(s.codePointAt(start));
        while (right && end > start && isWhiteSpace(s.codePointBefore(end))) end -= Character.charCount(s.codePointBefore(end));
        return s.substring(start, end);
    }

    /** The Unicode White_Space property, which Hugging Face's Strip and WhitespaceSplit use. */
    static boolean isWhiteSpace(int c) {
        return c >= 0x09 && c <= 0x0D || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || c >= 0x2000 && c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    // ---- pre-tokenisers ----

    /** Splits each word of the current split further. */
    @FunctionalInterface
    private interface PreTokenizer {
        List<String> split(List<String> words);
    }

    private static void addPreTokenizer(JsonNode n, List<PreTokenizer> out, String source) {
        if (n.isMissingNode() || n.isNull()) return;
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode child : n.path("pretokenizers")) addPreTokenizer(child, out, source);
            }
            case "WhitespaceSplit" -> out.add(HuggingFaceTokenizer::whitespaceSplit);
            case "Metaspace" -> out.add(metaspace(n, source));
            default -> throw new TokenizerException(source + ": pre_tokenizer type '" + type + "' is not supported");
        }
    }

    private static List<String> whitespaceSplit(List<String> words) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            int i = 0;
            while (i < w.length()) {
                while (i < w.length() && isWhiteSpace(w.codePointAt(i))) i += Character.charCount(w.codePointAt(i));
                int start = i;
                while (i < w.length() && !isWhiteSpace(w.codePointAt(i))) i += Character.charCount(w.codePointAt(i));
                if (i > start) out.add(w.substring(start, i));
            }
        }
        return out;
    }

    private static PreTokenizer metaspace(JsonNode n, String source) {
        String replacement = n.path("replacement").asText(SentencePieceNormalizer.SPACE_SYMBOL);
        if (replacement.isEmpty()) throw new TokenizerException(source + ": Metaspace has an empty replacement");
        String scheme = n.has("prepend_scheme") ? n.get("prepend_scheme").asText()
                : n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
        if (!Set.of("always", "first", "never").contains(scheme))
            throw new TokenizerException(source + ": Metaspace prepend_scheme '" + scheme + "' is not one of always, first, never");
        boolean split = n.path("split").asBoolean(true);
        return words -> {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < words.size(); i++) {
                String w = words.get(i).replace(" ", replacement);
                if (w.isEmpty()) continue; // nothing to prefix: an empty text stays empty
                boolean prepend = scheme.equals("always") || scheme.equals("first") && i == 0;
                if (prepend && !w.startsWith(replacement)) w = replacement + w;
                if (!split) {
                    if (!w.isEmpty()) out.add(w);
                    continue;
                }
                // Each replacement symbol starts a new word.
                int start = 0;
                for (int at = w.indexOf(replacement, 1); at >= 0; at = w.indexOf(replacement, at + 1)) {
                    if (at > start) out.add(w.substring(start, at));
                    start = at;
                }
                if (start < w.length()) out.add(w.substring(start));
            }
            return out;
        };
    }

    // ---- post-processor ----

    private static int eosFromPostProcessor(JsonNode p, UnigramModel unigram, String source) {
        if ("TemplateProcessing".equals(p.path("type").asText())) {
            JsonNode single = p.path("single");
            String trailing = null;
            boolean seenSequence = false;
            for (JsonNode item : single) {
                if (item.has("Sequence")) seenSequence = true;
                else if (item.has("SpecialToken")) {
                    if (!seenSequence)
                        throw new TokenizerException(source + ": post_processor puts a special token before the text; only a trailing </s> is supported");
                    trailing = item.get("SpecialToken").path("id").asText();
                }
            }
            if (trailing != null) {
                JsonNode ids = p.path("special_tokens").path(trailing).path("ids");
                if (ids.isArray() && ids.size() == 1 && ids.get(0).canConvertToInt()) return ids.get(0).asInt();
                int id = unigram.id(trailing);
                if (id >= 0) return id;
                throw new TokenizerException(source + ": post_processor appends '" + trailing + "', which has no id");
            }
        }
        int id = unigram.id("</s>");
        if (id < 0) throw new TokenizerException(source + ": no end-of-sequence token: neither a post_processor nor a '</s>' piece");
        return id;
    }
}
