package dev.zoetrope.models.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.vae.WanVaeConfig;

class GenerationEstimateTest {
    static GenerationEstimate.Setup linum360(int steps) {
        return new GenerationEstimate.Setup("linum", ModelFamily.LINUM.dit(), T5Config.t5v11Xxl(), 256, WanVaeConfig.wan21(),
                640, 360, 49, steps, true, DType.BF16);
    }

    @Test
    void partsScaleTheMeasuredRateToTheWholePart() {
        // 10 GFLOP in 2 s is 5 GFLOP/s: a 1 TFLOP part run 50 times takes 50 · 200 s
        GenerationEstimate.Part p = new GenerationEstimate.Part("denoise", "1 block", 10e9, 2.0, 1e12, 50);
        assertEquals(5.0, p.gflops(), 1e-12);
        assertEquals(10_000.0, p.seconds(), 1e-6);
        GenerationEstimate.Estimate e = new GenerationEstimate.Estimate(linum360(50), List.of(p,
                new GenerationEstimate.Part("text", "2 blocks", 1e9, 1.0, 12e9, 1)), 400, 2, "0.5");
        assertEquals(10_012.0, e.seconds(), 1e-6);
        String report = e.report();
        assertTrue(report.contains("640x360, 49 frames (latent 13x45x80), 50 steps"), report);
        assertTrue(report.lines().anyMatch(l -> l.strip().startsWith("total") && l.strip().endsWith("2:46:52 h")), report);
        assertTrue(report.contains("denoise       2:46:40 h"), report);
    }

    @Test
    void setupRefusesSizesTheVaeCannotMake() {
        assertThrows(IllegalArgumentException.class, () -> new GenerationEstimate.Setup("x", ModelFamily.LINUM.dit(),
                T5Config.t5v11Xxl(), 256, WanVaeConfig.wan21(), 641, 360, 49, 50, true, DType.BF16));
        assertThrows(IllegalArgumentException.class, () -> new GenerationEstimate.Setup("x", ModelFamily.LINUM.dit(),
                T5Config.t5v11Xxl(), 256, WanVaeConfig.wan21(), 640, 360, 48, 50, true, DType.BF16));
        assertThrows(IllegalArgumentException.class, () -> linum360(0));
    }

    @Test
    void durationsReadAsTimes() {
        assertEquals("12.3 s", GenerationEstimate.duration(12.3));
        assertEquals("2:05 min", GenerationEstimate.duration(125));
        assertEquals("1:00:01 h", GenerationEstimate.duration(3601));
    }
}
