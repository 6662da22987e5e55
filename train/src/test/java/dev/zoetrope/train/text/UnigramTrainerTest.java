package dev.zoetrope.train.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.synth.Captioner;

class UnigramTrainerTest {
    static final int SIZE = 256;
    static List<String> corpus;
    static Map<String, Double> pieces;

    @TempDir
    Path dir;

    @BeforeAll
    static void train() {
        corpus = Captioner.trainingCorpus(5, 5_000);
        pieces = UnigramTrainer.train(corpus, SIZE);
    }

    private Tokenizer written() throws Exception {
        Path f = dir.resolve("tokenizer.json");
        VocabularyBuilder.write(pieces, f);
        return Tokenizers.load(f);
    }

    @Test
    void theSameCorpusGivesTheSameFileBitForBit() throws Exception {
        Path a = dir.resolve("a.json"), b = dir.resolve("b.json");
        VocabularyBuilder.write(pieces, a);
        VocabularyBuilder.write(UnigramTrainer.train(Captioner.trainingCorpus(5, 5_000), SIZE), b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void specialsFirstThenAtMostTheAskedSize() {
        assertEquals(List.of("<pad>", "</s>", "<unk>"), pieces.keySet().stream().limit(3).toList());
        assertTrue(pieces.size() <= SIZE + VocabularyBuilder.FALLBACK_CHARS.length(), "size " + pieces.size());
        assertTrue(pieces.containsKey("▁red") && pieces.containsKey("▁circle"), "frequent words are whole pieces");
    }

    @Test
    void theCanonicalCaptionIsOnePiecePerWord() throws Exception {
        Tokenizer t = written();
        assertEquals(List.of("▁a", "▁red", "▁circle", "▁moving", "▁left", "▁on", "▁a", "▁black", "▁background"),
                t.pieces("a red circle moving left on a black background"));
    }

    @Test
    void unseenWordsFallIntoPiecesOfSeenOnesNeverUnknown() throws Exception {
        Tokenizer t = written();
        assertEquals("▁up", t.pieces("upward").getFirst());
        assertEquals("▁down", t.pieces("downward").getFirst());
        assertEquals("▁leftward", t.pieces("leftwards").getFirst());
        assertEquals("▁red", t.pieces("reddish").getFirst());
        assertEquals("▁grey", t.pieces("greyish").getFirst());
        for (String w : Captioner.HELD_OUT_WORDS) {
            assertFalse(pieces.containsKey("▁" + w), w + " is held out of the corpus, so it is no piece");
            int[] ids = t.encode(w);
            assertTrue(Arrays.stream(ids).noneMatch(id -> id == t.unkId()), w + " " + t.pieces(w));
        }
    }

    @Test
    void subwordDropoutSpellsSomePiecesSmallerAndNoneWithoutIt() throws Exception {
        written();
        SubwordDropout d = SubwordDropout.load(dir.resolve("tokenizer.json"), 64);
        String caption = "a red circle moving left on a black background";
        assertArrayEquals(d.tokenizer().encode(caption), d.encode(caption, 0, new SplittableRandom(1)));
        int longer = 0;
        for (int i = 0; i < 50; i++) {
            int[] ids = d.encode(caption, 0.3, new SplittableRandom(i));
            assertEquals(1, ids[ids.length - 1], "ends with </s>");
            if (ids.length > d.tokenizer().encode(caption).length) longer++;
        }
        assertTrue(longer > 40, "re-spelled in " + longer + " of 50");
        assertArrayEquals(d.encode(caption, 0.3, new SplittableRandom(7)), d.encode(caption, 0.3, new SplittableRandom(7)));
    }

    @Test
    void aTooSmallVocabularyIsRefused() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> UnigramTrainer.train(corpus, 10));
    }
}
