package dev.zoetrope.train.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.zoetrope.train.text.WordNet.Pos;

class WordNetTest {
    @Test
    void aSynsetIsItsWordsInTheDatabasesOrderWithSpacesAndWithoutMarkers() {
        assertEquals(List.of("red", "reddish", "ruddy", "blood-red", "carmine", "cerise", "cherry", "cherry-red", "crimson", "ruby",
                "ruby-red", "scarlet"), WordNet.synset(Pos.ADJ, "red", 0));
        assertEquals(List.of("up", "upwards", "upward", "upwardly"), WordNet.synset(Pos.ADV, "up", 0));
        List<String> rise = WordNet.synset(Pos.VERB, "rise", 0);
        assertTrue(rise.contains("go up") && rise.contains("move up"), "underscores become spaces: " + rise);
        assertEquals(List.of("triangle", "trigon", "trilateral"), WordNet.synset(Pos.NOUN, "triangle", 0));
        assertEquals(List.of("crimson", "red", "violent"), WordNet.synset(Pos.ADJ, "red", 1), "senses in WordNet's order");
    }

    @Test
    void unknownLemmasAndSensesAreRefusedByName() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> WordNet.synset(Pos.NOUN, "zoetropeish", 0));
        assertTrue(none.getMessage().contains("no noun 'zoetropeish'"), none.getMessage());
        IllegalArgumentException sense = assertThrows(IllegalArgumentException.class, () -> WordNet.synset(Pos.NOUN, "triangle", 40));
        assertTrue(sense.getMessage().contains("not sense 40"), sense.getMessage());
    }
}
