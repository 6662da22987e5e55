package dev.zoetrope.train.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.zoetrope.train.synth.Captioner.Phrasing;
import dev.zoetrope.train.synth.SynthSpec.Combination;

class CaptionerTest {
    @Test
    void trainingCaptionsNeverUseAHeldOutWord() {
        SplittableRandom rnd = new SplittableRandom(1);
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            Combination c = SynthSpec.combinations().get(rnd.nextInt(84));
            String caption = Captioner.caption(c, rnd.nextInt(2), Phrasing.TRAINING, rnd);
            assertFalse(Captioner.containsHeldOutWord(caption), caption);
            for (String t : List.of("that is", "in this scene")) assertFalse(caption.contains(t), caption);
            distinct.add(caption);
        }
        assertTrue(distinct.size() > 15_000, "many phrasings: " + distinct.size());
    }

    @Test
    void heldOutCaptionsUseAHeldOutTemplateAndOftenHeldOutWords() {
        SplittableRandom rnd = new SplittableRandom(2);
        int withWord = 0;
        for (int i = 0; i < 2_000; i++) {
            String caption = Captioner.caption(SynthSpec.combinations().get(i % 84), i % 2, Phrasing.HELD_OUT, rnd);
            if (Captioner.containsHeldOutWord(caption)) withWord++;
            assertTrue(caption.startsWith("in this scene") || caption.contains(" that is ") || caption.contains(" there is ")
                    || caption.matches("[a-z]+ing[ ,].*"), caption);
        }
        assertTrue(withWord > 1_600, "held-out words in " + withWord + " of 2000");
    }

    @Test
    void synonymsComeFromWordNetAndTheHeldOutOnesAreListed() {
        List<String> lexicon = Captioner.lexicon();
        String red = lexicon.stream().filter(l -> l.startsWith("colour red:")).findFirst().orElseThrow();
        assertTrue(red.contains("crimson") && red.contains("scarlet"), red); // WordNet's synset, not a hand list
        assertTrue(red.endsWith("held out: reddish, ruby-red"), red);
        String up = lexicon.stream().filter(l -> l.startsWith("direction up:")).findFirst().orElseThrow();
        assertTrue(up.contains("upwards") && up.contains("held out: upward"), up);
        for (String w : Captioner.HELD_OUT_WORDS)
            assertTrue(lexicon.stream().anyMatch(l -> l.contains("held out:") && l.substring(l.indexOf("held out:")).contains(w)), w);
    }

    @Test
    void aClipsCaptionsStartWithItsOwnAndAreReproducible() {
        Combination c = SynthSpec.combinations().get(5);
        String own = SynthSpec.canonicalCaption(c, 1);
        List<String> a = Captioner.trainingCaptions(c, 1, own, 5, 17, 8), b = Captioner.trainingCaptions(c, 1, own, 5, 17, 8);
        assertEquals(8, a.size());
        assertEquals(own, a.getFirst());
        assertEquals(a, b);
        assertFalse(a.equals(Captioner.trainingCaptions(c, 1, own, 5, 18, 8)), "another clip, other phrasings");
        assertTrue(new HashSet<>(a).size() > 4, a.toString());
    }

    @Test
    void inflections() {
        assertEquals("goes up", Captioner.inflect("go up", false));
        assertEquals("dropping down", Captioner.inflect("drop down", true));
        assertEquals("sliding", Captioner.inflect("slide", true));
        assertEquals("traveling", Captioner.inflect("travel", true));
        assertEquals("falls", Captioner.inflect("fall", false));
    }

    @Test
    void novelConceptsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> Captioner.caption(SynthSpec.novelCombinations().getFirst(), 0, Phrasing.TRAINING, new SplittableRandom(1)));
    }
}
