package dev.zoetrope.models.sampling;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

class StepCacheTest {
    @BeforeAll
    static void engine() {
        Engine.init();
    }

    @Test
    void settings() {
        assertTrue(Double.isNaN(StepCache.parse("off")));
        assertEquals(StepCache.AUTO, StepCache.parse(" Auto "));
        assertEquals(0.3, StepCache.parse("0.3"));
        for (String bad : new String[]{"-1", "fast", "NaN", "", "1e9"})
            assertThrows(InvalidRequestException.class, () -> StepCache.parse(bad), bad);
    }

    /**
     * Probes whose relative L1 change is 10% per step: with threshold 0.25 the sum reaches 0.3 on the third change, so
     * the pattern is compute, reuse, reuse, compute, ...; the first and last steps always compute.
     */
    @Test
    void skipsWhileTheSummedChangeStaysBelowTheThreshold() {
        try (PointerScope scope = new PointerScope(); StepCache cache = new StepCache(0.25, 8)) {
            List<Boolean> reused = new ArrayList<>();
            double value = 1.0;
            for (int step = 0; step < 8; step++) {
                boolean reuse = cache.reuse(Tensors.fromFloats(new float[]{(float) value, (float) -value}, 2));
                reused.add(reuse);
                if (!reuse) cache.store(Tensors.fromFloats(new float[]{step, step}, 2));
                value *= 1.1;
            }
            assertEquals(List.of(false, true, true, false, true, true, false, false), reused);
            assertEquals(4, cache.computed());
            assertEquals(4, cache.skipped());
            assertEquals(7f, Tensors.toFloats(cache.residual())[0], "the last computed step's residual");
        }
    }

    @Test
    void anUnchangedInputIsReusedUntilTheLastStep() {
        try (PointerScope scope = new PointerScope(); StepCache cache = new StepCache(0.01, 5)) {
            Tensor probe = Tensors.fromFloats(new float[]{1, 2, 3}, 3);
            assertFalse(cache.reuse(probe));
            assertThrows(IllegalStateException.class, cache::residual, "nothing stored yet");
            cache.store(probe);
            assertTrue(cache.reuse(probe));
            assertTrue(cache.reuse(probe));
            assertTrue(cache.reuse(probe));
            assertFalse(cache.reuse(probe), "the last step is computed");
        }
    }
}
