package dev.zoetrope.models.text;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;

class TokenizerTest {
    static Path t5Tiny() {
        return Path.of(System.getProperty("zoetrope.fixtures")).resolve("t5-tiny");
    }

    record Case(String text, int[] ids, List<String> pieces) {}

    static List<Case> cases() {
        JsonNode root = Json.readTree(t5Tiny().resolve("tokenizer_cases.json"));
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < root.get("texts").size(); i++) {
            int[] ids = new int[root.get("ids").get(i).size()];
            for (int j = 0; j < ids.length; j++) ids[j] = root.get("ids").get(i).get(j).asInt();
            List<String> pieces = new ArrayList<>();
            root.get("pieces").get(i).forEach(p -> pieces.add(p.asText()));
            out.add(new Case(root.get("texts").get(i).asText(), ids, pieces));
        }
        assertFalse(out.isEmpty());
        return out;
    }

    static void assertAllCases(Tokenizer tok) {
        for (Case c : cases()) {
            assertArrayEquals(c.ids(), tok.encode(c.text()), () -> "ids of '" + c.text() + "'");
            assertEquals(c.pieces(), tok.pieces(c.text()), () -> "pieces of '" + c.text() + "'");
        }
    }

    @Test
    void spieceModelGivesTheReferenceIds() {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(t5Tiny().resolve("spiece.model"), 512);
        assertEquals(1, tok.eosId());
        assertEquals(0, tok.padId());
        assertEquals(2, tok.unkId());
        assertEquals(400, tok.vocabSize());
        assertEquals("nmt_nfkc", tok.model().normalizer().name());
        assertEquals(-1, tok.model().bosId()); // stored as a sign-extended 64-bit varint
        assertAllCases(tok);
    }

    @Test
    void normaliserAppliesNfkcAndWhitespaceRules() {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(t5Tiny().resolve("spiece.model"), 512);
        assertEquals("▁1⁄2▁fi", tok.normalize(" ½  ﬁ "));
        assertEquals("▁a▁b", tok.normalize("\ta \t b\n"));
        assertEquals("", tok.normalize("   "));
        assertEquals("", tok.normalize(""));
    }

    @Test
    void truncationKeepsEndOfSequenceLast() {
        Tokenizer full = Tokenizers.load(t5Tiny());
        Tokenizer cut = Tokenizers.load(t5Tiny(), 5);
        String text = "A red ball bouncing on green grass.";
        int[] all = full.encode(text);
        int[] five = cut.encode(text);
        assertEquals(5, five.length);
        assertArrayEquals(Arrays.copyOf(all, 4), Arrays.copyOf(five, 4));
        assertEquals(1, five[4]);
        assertArrayEquals(new int[]{3, 86, 1}, cut.encode("x"));
        assertArrayEquals(new int[]{1}, Tokenizers.load(t5Tiny(), 1).encode("x"));
    }

    /** A tokenizer.json written from the parsed spiece.model, in the layout of recent converters. */
    static ObjectNode tokenizerJson(SentencePieceModel m, boolean legacyLayout) {
        ObjectNode root = Json.PLAIN.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < m.pieces().size(); id++) {
            var p = m.pieces().get(id);
            if (p.type() == SentencePieceModel.PieceType.CONTROL || p.type() == SentencePieceModel.PieceType.UNKNOWN)
                added.addObject().put("id", id).put("content", p.text()).put("special", true);
        }
        String charsmap = Base64.getEncoder().encodeToString(m.normalizer().precompiledCharsmap());
        if (legacyLayout) {
            root.putObject("normalizer").put("type", "Precompiled").put("precompiled_charsmap", charsmap);
            ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
            ArrayNode list = pre.putArray("pretokenizers");
            list.addObject().put("type", "WhitespaceSplit");
            list.addObject().put("type", "Metaspace").put("replacement", "▁").put("add_prefix_space", true);
        } else {
            ObjectNode norm = root.putObject("normalizer").put("type", "Sequence");
            ArrayNode list = norm.putArray("normalizers");
            list.addObject().put("type", "Precompiled").put("precompiled_charsmap", charsmap);
            list.addObject().put("type", "Strip").put("strip_left", false).put("strip_right", true);
            ObjectNode replace = list.addObject().put("type", "Replace").put("content", "▁");
            replace.putObject("pattern").put("Regex", " {2,}");
            root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "▁")
                    .put("prepend_scheme", "always").put("split", true);
        }
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        ObjectNode eos = post.putObject("special_tokens").putObject("</s>").put("id", "</s>");
        eos.putArray("ids").add(m.eosId());
        eos.putArray("tokens").add("</s>");
        ObjectNode model = root.putObject("model").put("type", "Unigram").put("unk_id", m.unkId()).put("byte_fallback", false);
        ArrayNode vocab = model.putArray("vocab");
        for (var p : m.pieces()) vocab.addArray().add(p.text()).add((double) p.score());
        return root;
    }

    @Test
    void tokenizerJsonGivesTheSameIds(@TempDir Path dir) throws IOException {
        SentencePieceModel m = SentencePieceModel.read(t5Tiny().resolve("spiece.model"));
        for (boolean legacy : new boolean[]{false, true}) {
            Path json = dir.resolve(legacy ? "legacy" : "current").resolve("tokenizer.json");
            Files.createDirectories(json.getParent());
            Files.writeString(json, Json.PLAIN.writeValueAsString(tokenizerJson(m, legacy)));
            Tokenizer tok = Tokenizers.load(json.getParent(), 512);
            assertInstanceOf(HuggingFaceTokenizer.class, tok);
            assertEquals(1, tok.eosId());
            assertEquals(0, tok.padId());
            assertEquals(400, tok.vocabSize());
            assertAllCases(tok);
        }
    }

    /** A hand-made model: no charsmap, a user-defined piece, byte pieces for unknown characters. */
    static SentencePieceModel handMade(boolean byteFallback) {
        List<SentencePieceModel.Piece> pieces = new ArrayList<>();
        pieces.add(new SentencePieceModel.Piece("<pad>", 0, SentencePieceModel.PieceType.CONTROL));
        pieces.add(new SentencePieceModel.Piece("</s>", 0, SentencePieceModel.PieceType.CONTROL));
        pieces.add(new SentencePieceModel.Piece("<unk>", 0, SentencePieceModel.PieceType.UNKNOWN));
        pieces.add(new SentencePieceModel.Piece("<sep>", 0, SentencePieceModel.PieceType.USER_DEFINED));
        for (int b = 0; b < 256; b++)
            pieces.add(new SentencePieceModel.Piece(String.format("<0x%02X>", b), 0, SentencePieceModel.PieceType.BYTE));
        String[] normal = {"▁", "a", "b", "ab", "▁ab", "▁a", "<", ">", "s", "e", "p"};
        for (int i = 0; i < normal.length; i++)
            pieces.add(new SentencePieceModel.Piece(normal[i], -1f - i * 0.25f, SentencePieceModel.PieceType.NORMAL));
        return new SentencePieceModel(pieces, SentencePieceModel.ModelType.UNIGRAM, 2, -1, 1, 0, byteFallback, false,
                new SentencePieceModel.Normalizer("identity", new byte[0], true, true, true));
    }

    @Test
    void userDefinedPiecesStayWholeAndUnknownsMergeOrFallBackToBytes() {
        SentencePieceTokenizer merged = new SentencePieceTokenizer(handMade(false), 64, "hand-made");
        int sep = 3, unk = 2, eos = 1;
        List<String> texts = merged.model().pieces().stream().map(SentencePieceModel.Piece::text).toList();
        int ab = texts.indexOf("▁ab"), a = texts.indexOf("a");
        // "<sep>" is one piece even though "<", "s", "e", "p", ">" are pieces too; "é" and "ü" are one unknown.
        assertEquals(List.of("▁ab", "<sep>", "éü", "a"), merged.pieces("ab<sep>éüa"));
        int[] ids = merged.encode("ab<sep>éüa");
        assertArrayEquals(new int[]{ab, sep, unk, a, eos}, ids);

        SentencePieceTokenizer bytes = new SentencePieceTokenizer(handMade(true), 64, "hand-made");
        int[] b = bytes.encode("éa");
        int base = 4; // <0x00> follows <sep>
        // "▁" then é as its two UTF-8 bytes C3 A9, then "a".
        assertEquals(List.of("▁", "é", "é", "a"), bytes.pieces("éa"));
        assertEquals(base + 0xC3, b[1]);
        assertEquals(base + 0xA9, b[2]);
        assertEquals(eos, b[4]);
    }

    @Test
    void factoryPrefersSpieceModel() {
        assertInstanceOf(SentencePieceTokenizer.class, Tokenizers.load(t5Tiny()));
    }

    @Test
    void badFilesFailWithTheirName(@TempDir Path dir) throws IOException {
        Path broken = dir.resolve("spiece.model");
        Files.write(broken, new byte[]{0x0A, 0x7F, 0x01});
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().contains("spiece.model") && e.getMessage().contains("not a valid SentencePiece model"), e.getMessage());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        e = assertThrows(TokenizerException.class, () -> Tokenizers.load(empty));
        assertTrue(e.getMessage().contains("neither spiece.model nor tokenizer.json"), e.getMessage());

        Path bpe = dir.resolve("bpe.json");
        Files.writeString(bpe, "{\"model\": {\"type\": \"BPE\"}}");
        e = assertThrows(TokenizerException.class, () -> Tokenizers.load(bpe));
        assertTrue(e.getMessage().contains("bpe.json") && e.getMessage().contains("'BPE'"), e.getMessage());
    }
}
