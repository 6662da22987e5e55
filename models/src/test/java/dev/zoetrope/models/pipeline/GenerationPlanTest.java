package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.ModelFamily;

/** Seeds: omitted is the model's default, -1 is a random one that the plan records, other negatives are refused. */
class GenerationPlanTest {
    private static final ModelCapabilities CAPS = ModelFamily.LINUM.capabilities("360p");

    private static GenerationPlan plan(Long seed) {
        return GenerationPlan.resolve(new GenerationRequest("a kite", null, null, null, seed, null, null), CAPS, ModelFamily.LINUM);
    }

    @Test
    void minusOneDrawsASeedThePlanRecords() {
        assertEquals(CAPS.defaultSeed(), plan(null).seed(), "no seed: the model's default");
        assertEquals(7, plan(7L).seed());
        Set<Long> drawn = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            GenerationPlan p = plan(GenerationRequest.RANDOM_SEED);
            assertTrue(p.seed() >= 0, "a random seed is a usable one: " + p.seed());
            assertEquals(p.seed(), p.asRequest().seed(), "the result carries the seed used, so the clip can be made again");
            drawn.add(p.seed());
        }
        assertTrue(drawn.size() > 1, "five draws gave one seed: " + drawn);
        var e = assertThrows(InvalidRequestException.class, () -> plan(-2L));
        assertEquals("seed -2 is negative; give 0 to " + Long.MAX_VALUE + ", or -1 for a random seed", e.getMessage());
    }
}
