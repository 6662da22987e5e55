package dev.zoetrope.train.recipe;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.train.reflow.TeacherPairs;
import dev.zoetrope.train.synth.Captioner;
import dev.zoetrope.train.synth.SynthSpec;

class ReflowRecipeTest {
    @Test
    void tinyTurboDistilsTheShippedModelInto4UnguidedSteps() {
        ReflowRecipe r = ReflowRecipe.load("tiny-turbo");
        assertEquals("models/zoetrope-tiny", r.teacher());
        assertEquals(4, r.studentSteps());
        assertEquals(0.0, r.studentGuidance());
        assertEquals(TeacherPairs.SYNTH, r.pairs().captions());
        assertTrue(Recipe.source("tiny-turbo").distils());
        assertFalse(Recipe.source("tiny").distils());
        assertThrows(InvalidRequestException.class, () -> Recipe.load("tiny-turbo"), "not a recipe that trains from nothing");
        ObjectNode n = Recipe.source("tiny-turbo").json().deepCopy();
        ((ObjectNode) n.path("generation")).remove("default_steps");
        assertThrows(ConfigException.class, () -> ReflowRecipe.parse(n, "no steps"));
    }

    @Test
    void synthCaptionsAreTheTrainingSplitsEveryOneEvenlyUsed() {
        List<String> captions = TeacherPairs.captions(TeacherPairs.SYNTH);
        // 72 seen combinations × 2 backgrounds × 4 templates; no held-out one
        assertEquals(SynthSpec.seenCombinations().size() * SynthSpec.BACKGROUNDS.size() * SynthSpec.TEMPLATES.size(), captions.size());
        assertEquals(captions.size(), new HashSet<>(captions).size());
        for (String c : captions) assertFalse(SynthSpec.parse(c).orElseThrow().combination().heldOut(), c);
        for (SynthSpec.Combination held : SynthSpec.heldOutCombinations())
            assertFalse(captions.contains(SynthSpec.canonicalCaption(held, 0)), held.describe());

        Map<String, Integer> uses = new HashMap<>();
        List<String> assigned = TeacherPairs.assign(captions, 2 * captions.size() + 5, 1);
        for (String c : assigned) uses.merge(c, 1, Integer::sum);
        assertEquals(captions.size(), uses.size(), "every caption is used");
        assertTrue(uses.values().stream().allMatch(u -> u == 2 || u == 3), "evenly: " + new HashSet<>(uses.values()));
        assertEquals(assigned.subList(0, 10), TeacherPairs.assign(captions, 10, 1), "more pairs keep the first ones' captions");
        assertNotEquals(assigned.subList(0, 10), TeacherPairs.assign(captions, 10, 2), "the order is the seed's");
        assertNotEquals(TeacherPairs.seed(1, 0), TeacherPairs.seed(1, 1));
        assertTrue(TeacherPairs.seed(1, 7) >= 0 && TeacherPairs.seed(1, 7) <= Integer.MAX_VALUE, "a seed generate --seed takes");
    }

    @Test
    void phrasingsAddFreeLanguageCaptionsOfSeenCombinationsOnly() {
        List<String> templates = TeacherPairs.captions(TeacherPairs.SYNTH);
        List<String> free = TeacherPairs.captions(TeacherPairs.SYNTH, 4, 1);
        assertEquals(templates, free.subList(0, templates.size()), "the template captions first, as without phrasings");
        List<String> added = free.subList(templates.size(), free.size());
        int slots = SynthSpec.seenCombinations().size() * SynthSpec.BACKGROUNDS.size() * 4;
        assertTrue(added.size() > slots * 9 / 10 && added.size() <= slots, "about 4 per seen combination and background: " + added.size());
        assertEquals(free.size(), new HashSet<>(free).size(), "each kept once");
        long nonTemplate = added.stream().filter(c -> SynthSpec.parse(c).isEmpty()).count();
        assertTrue(nonTemplate > added.size() / 2, "mostly wordings the template parser does not read: " + nonTemplate);
        for (String c : added) assertFalse(Captioner.containsHeldOutWord(c), c);
        assertEquals(free, TeacherPairs.captions(TeacherPairs.SYNTH, 4, 1), "seeded");
        assertNotEquals(free, TeacherPairs.captions(TeacherPairs.SYNTH, 4, 2));
        assertEquals(4, ReflowRecipe.load("tiny-turbo").pairs().phrasings(), "the shipped student learns the teacher's free language");
        assertThrows(IllegalArgumentException.class, () -> new TeacherPairs.Options(10, "captions.txt", 2, 1, 10),
                "phrasings come from the synthetic world's grammar only");
        assertThrows(IllegalArgumentException.class, () -> new TeacherPairs.Options(10, TeacherPairs.SYNTH, -1, 1, 10));
    }

    @Test
    void captionListsMayNotNameHeldOutCombinations(@TempDir Path dir) throws Exception {
        Path ok = dir.resolve("ok.txt"), bad = dir.resolve("bad.txt");
        Files.writeString(ok, "a red fox in the snow\n\na red circle moving left on a black background\n");
        assertEquals(List.of("a red fox in the snow", "a red circle moving left on a black background"), TeacherPairs.captions(ok.toString()));
        Files.writeString(bad, SynthSpec.canonicalCaption(SynthSpec.heldOutCombinations().getFirst(), 1) + "\n");
        assertThrows(InvalidRequestException.class, () -> TeacherPairs.captions(bad.toString()));
        assertThrows(InvalidRequestException.class, () -> TeacherPairs.captions(dir.resolve("missing").toString()));
    }
}
