package dev.zoetrope.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthSpec.Combination;

class AdherencePlanTest {
    @Test
    void heldOutPromptsAreAllTwelveCombinationsOnBothBackgrounds() {
        AdherencePlan plan = AdherencePlan.of(2, 12, 1);
        List<AdherencePrompt> held = plan.prompts().stream().filter(AdherencePrompt::heldOut).toList();
        assertEquals(24, held.size());
        assertEquals(24, plan.heldOutPrompts());
        Set<String> captions = new HashSet<>();
        for (Combination c : SynthSpec.heldOutCombinations())
            for (int b = 0; b < 2; b++) captions.add(SynthSpec.canonicalCaption(c, b));
        assertEquals(captions, new HashSet<>(held.stream().map(AdherencePrompt::caption).toList()));
        List<AdherencePrompt> seen = plan.prompts().stream().filter(p -> !p.heldOut()).toList();
        assertEquals(24, seen.size(), "12 seen combinations x 2 backgrounds");
        assertEquals(12, seen.stream().map(AdherencePrompt::combination).distinct().count());
        assertEquals(96, plan.clips().size(), "48 prompts x k=2");
        assertEquals(96, plan.clips().stream().map(EvalClip::id).distinct().count(), "clip ids are unique");
        for (AdherencePrompt p : plan.prompts())
            assertEquals("a", p.caption().split(" ")[0], "canonical template: " + p.caption());
    }

    @Test
    void heldOutPhrasingsPromptTheHeldOutCombinationsAgainInWordsTrainingNeverHad() {
        AdherencePlan base = AdherencePlan.of(2, 12, 1), worded = AdherencePlan.of(2, 12, 1, true);
        assertEquals(base.prompts(), worded.prompts().subList(0, base.prompts().size()), "the canonical prompts first, unchanged");
        assertEquals(base.clips(), worded.clips().subList(0, base.clips().size()));
        List<AdherencePrompt> extra = worded.prompts().subList(base.prompts().size(), worded.prompts().size());
        assertEquals(24, extra.size());
        assertEquals(24, worded.heldOutPhrasingPrompts());
        assertEquals(24, worded.heldOutPrompts(), "held-out in the canonical template: as before");
        int withHeldOutWord = 0;
        for (AdherencePrompt p : extra) {
            assertTrue(p.heldOut() && p.heldOutPhrasing(), p.toString());
            assertEquals("heldout-phrasing", p.split());
            assertNotEquals(SynthSpec.canonicalCaption(p.combination(), p.background()), p.caption());
            assertTrue(SynthSpec.parse(p.caption()).isEmpty(), "no training template: " + p.caption());
            if (dev.zoetrope.train.synth.Captioner.containsHeldOutWord(p.caption())) withHeldOutWord++;
        }
        assertTrue(withHeldOutWord >= 12, withHeldOutWord + " of 24 use a held-out word");
        assertEquals(extra.stream().map(AdherencePrompt::caption).toList(),
                AdherencePlan.of(2, 12, 1, true).prompts().subList(48, 72).stream().map(AdherencePrompt::caption).toList(), "seeded");
        for (EvalClip c : worded.clips().subList(base.clips().size(), worded.clips().size())) {
            EvalClip canonical = base.clips().stream().filter(b -> b.prompt().combination().equals(c.prompt().combination())
                    && b.prompt().background() == c.prompt().background() && b.replica() == c.replica()).findFirst().orElseThrow();
            assertEquals(canonical.seed(), c.seed(), "the same noise as the canonical prompt: only the wording differs");
        }
        assertEquals(144, worded.clips().stream().map(EvalClip::id).distinct().count(), "clip ids are unique");
    }

    @Test
    void novelPlansPromptOnlyWhatTheShippedModelNeverSaw() {
        AdherencePlan white = AdherencePlan.novel(SynthSpec.Novelty.BACKGROUND, 2, 12, 1), base = AdherencePlan.of(2, 12, 1);
        assertTrue(white.novel());
        assertFalse(base.novel());
        for (AdherencePrompt p : white.prompts()) {
            assertEquals("white", dev.zoetrope.train.synth.SynthSpec.BACKGROUND_PALETTE.get(p.background()).name());
            assertNotEquals("white", dev.zoetrope.train.synth.SynthSpec.PALETTE.get(p.combination().color()).name());
            assertTrue(p.caption().endsWith("on a white background"), p.caption());
            assertEquals(3, p.choices().backgrounds().size(), "white is in the detector's palette for these prompts");
        }
        // the same combinations as the ordinary plan, on white, less the white objects
        java.util.Set<dev.zoetrope.train.synth.SynthSpec.Combination> combos = new java.util.HashSet<>();
        base.prompts().forEach(p -> combos.add(p.combination()));
        combos.removeIf(c -> c.color() == 6);
        assertEquals(combos.size(), white.prompts().size());
        assertEquals(10, white.heldOutPrompts(), "the 12 held-out combinations but the 2 white ones");
        AdherencePlan pink = AdherencePlan.novel(SynthSpec.Novelty.COLOR, 1, 5, 1);
        assertEquals(24, pink.prompts().size(), "pink's 12 combinations on both backgrounds");
        assertEquals(4, pink.heldOutPrompts());
        assertTrue(base.prompts().stream().allMatch(p -> p.choices().equals(SynthSpec.Choices.TRAINED)),
                "ordinary prompts are scored as before");
    }

    @Test
    void novelMotionPlansTheHeldOutDiagonalsAndASampleOfTheTaughtOnes() {
        AdherencePlan diagonal = AdherencePlan.novel(SynthSpec.Novelty.MOTION, 2, 4, 1);
        assertEquals(SynthSpec.Novelty.MOTION, diagonal.novelty().orElseThrow());
        assertEquals((15 + 4) * 2, diagonal.prompts().size(), "15 held-out and 4 taught novel motions on both backgrounds");
        assertEquals(30, diagonal.heldOutPrompts());
        for (AdherencePrompt p : diagonal.prompts()) {
            SynthSpec.Direction d = SynthSpec.MOTIONS.get(p.combination().direction());
            assertTrue(d.diagonal() || d.still(), p.caption());
            assertEquals(9, p.choices().directions().size(), "the detector reads all nine motions for " + p.caption());
            assertEquals(SynthSpec.COLORS, p.choices().colors());
            assertEquals(p.heldOut() ? "novel-motion-heldout" : "novel-motion", p.split());
        }
        for (String motion : List.of("up left", "up right", "down left", "down right", "nowhere"))
            assertTrue(diagonal.prompts().stream().anyMatch(p -> p.caption().contains(" moving " + motion + " on a ")), motion);
        // the taught sample is seeded and grows by extension, as the ordinary seen sample does
        assertTrue(AdherencePlan.novel(SynthSpec.Novelty.MOTION, 2, 10, 1).prompts().containsAll(diagonal.prompts()));
        assertThrows(IllegalArgumentException.class, () -> AdherencePlan.novel(SynthSpec.Novelty.MOTION, 2, 91, 1),
                "90 novel motions are taught");
    }

    @Test
    void seenSampleIsDeterministicAndGrowsByExtension() {
        AdherencePlan a = AdherencePlan.of(1, 12, 5), b = AdherencePlan.of(1, 12, 5), c = AdherencePlan.of(1, 12, 6);
        assertEquals(a.prompts(), b.prompts());
        assertEquals(a.clips(), b.clips());
        assertNotEquals(a.prompts(), c.prompts(), "another seed samples other seen combinations");
        AdherencePlan small = AdherencePlan.of(1, 3, 5), big = AdherencePlan.of(3, 20, 5);
        assertTrue(a.prompts().containsAll(small.prompts()), "a smaller sample is a prefix of a larger one");
        assertTrue(big.clips().containsAll(a.clips()), "larger k and sample keep every earlier clip and its seed");
        assertTrue(AdherencePlan.of(1, 72, 5).prompts().stream().noneMatch(p -> p.heldOut() && !SynthSpec.isHeldOut(
                p.combination().color(), p.combination().shape(), p.combination().direction())));
        assertEquals(72 * 2 + 24, AdherencePlan.of(1, 72, 5).prompts().size());
        assertEquals(a.clips().size(), a.clips().stream().map(EvalClip::seed).distinct().count(), "seeds differ per clip");
        assertFalse(a.clips().stream().anyMatch(x -> x.seed() < 0));
    }

    @Test
    void badSettingsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> AdherencePlan.of(0, 12, 1));
        assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AdherencePlan.of(1, 73, 1));
        assertThrows(IllegalArgumentException.class, () -> AdherencePlan.of(1, -1, 1));
    }
}
