package dev.zoetrope.models.bench;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Engine;

class ConvolutionGradientBenchTest {
    @BeforeAll
    static void engine() {
        Engine.init();
    }

    @Test
    void benchMeasuresTheThreePathsAgainstFloat64() {
        var rows = ConvolutionGradientBench.run(2, 8, 5, 32, 1);
        assertEquals(3, rows.size());
        assertTrue(rows.get(1).name().contains("training path"), rows.get(1).name());
        assertTrue(rows.get(1).inputGradientError() < 1e-4, rows.toString());
        assertTrue(rows.get(2).inputGradientError() < 1e-4, rows.toString());
        for (var r : rows) assertTrue(r.bestMillis() > 0, r.toString());
    }
}
