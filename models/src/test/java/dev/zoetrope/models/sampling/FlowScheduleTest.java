package dev.zoetrope.models.sampling;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;

class FlowScheduleTest {
    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    @Test
    void linumScheduleEqualsDiffusersFixture() {
        Engine.init();
        try (Weights w = Weights.open(fixtures().resolve("linum-tiny/pipeline_io.safetensors"))) {
            for (int steps : new int[]{4, 50}) {
                String suffix = steps == 4 ? "" : "_" + steps;
                FlowSchedule s = FlowSchedule.shiftedEuler(steps, 3.0, 1000);
                float[] sigmas = Scopes.value(() -> Tensors.toFloats(w.load("sigmas" + suffix)));
                float[] timesteps = Scopes.value(() -> Tensors.toFloats(w.load("timesteps" + suffix)));
                assertEquals(steps + 1, sigmas.length);
                assertArrayEquals(sigmas, s.sigmas(), 0f, "sigmas for " + steps + " steps");
                for (int k = 0; k < steps; k++) assertEquals(timesteps[k], s.timestep(k), 0.0, "timestep " + k);
            }
        }
    }

    @Test
    void sigmaMinIsShiftedTwice() {
        FlowSchedule s = FlowSchedule.shiftedEuler(4, 3.0, 1000);
        double once = 3 * 0.001 / 1.002;
        assertEquals(1.0, s.sigma(0), 0);
        assertEquals(3 * once / (1 + 2 * once), s.sigma(3), 1e-7);
        assertEquals(0.0, s.sigma(4), 0);
    }

    @Test
    void wanIntegerTimestepsEqualFixtureExactly() {
        Engine.init();
        try (Weights w = Weights.open(fixtures().resolve("wan-tiny/wan_io.safetensors"))) {
            long[] t5 = Scopes.value(() -> Tensors.toLongs(w.load("timesteps")));
            long[] t50 = Scopes.value(() -> Tensors.toLongs(w.load("timesteps_50_shift5")));
            assertArrayEquals(t5, asLongs(FlowSchedule.wan(5, 5.0, 1000)));
            assertArrayEquals(t50, asLongs(FlowSchedule.wan(50, 5.0, 1000)));
        }
        long[] t = asLongs(FlowSchedule.wan(50, 5.0, 1000));
        assertArrayEquals(new long[]{999, 995, 991, 987, 982, 978}, java.util.Arrays.copyOf(t, 6));
        assertArrayEquals(new long[]{302, 241, 172, 92}, java.util.Arrays.copyOfRange(t, 46, 50));
        assertEquals(0f, FlowSchedule.wan(50, 5.0, 1000).sigma(50));
    }

    @Test
    void rejectsZeroSteps() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlowSchedule.wan(0, 5, 1000));
        assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
    }

    private static long[] asLongs(FlowSchedule s) {
        long[] out = new long[s.steps()];
        for (int k = 0; k < out.length; k++) {
            assertEquals(Math.rint(s.timestep(k)), s.timestep(k), 0.0);
            out[k] = (long) s.timestep(k);
        }
        return out;
    }
}
