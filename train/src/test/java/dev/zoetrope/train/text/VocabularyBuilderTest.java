package dev.zoetrope.train.text;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;

class VocabularyBuilderTest {
    @Test
    void wordsBecomeSinglePiecesAndUnseenWordsFallBackToCharacters(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        new VocabularyBuilder().addAll(List.of("a red circle moving left on a black background",
                "a blue square moving up on a gray background")).write(file);
        Tokenizer t = Tokenizers.load(dir, 16);
        assertEquals(List.of("▁a", "▁red", "▁circle", "▁moving", "▁left"), t.pieces("A  Red circle moving LEFT"));
        int[] ids = t.encode("a red circle");
        assertEquals(4, ids.length);
        assertEquals(1, ids[3], "ends with </s>");
        assertEquals(0, t.padId());
        List<String> unseen = t.pieces("a teal circle");
        assertTrue(unseen.containsAll(List.of("▁a", "▁circle")) && !unseen.contains("<unk>"), unseen.toString());
        assertTrue(unseen.size() > 3, "an unseen word splits into characters: " + unseen);
        assertEquals(16, t.encode("a ".repeat(40)).length, "truncated to the max length with </s> last");
    }
}
