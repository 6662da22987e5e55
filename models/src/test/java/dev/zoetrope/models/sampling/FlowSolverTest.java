package dev.zoetrope.models.sampling;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.progress.GenerationCancelledException;

/** Solvers against a flow with a closed-form solution, and the loop's bookkeeping. */
class FlowSolverTest {
    static final GaussianFlow FLOW = new GaussianFlow(0.7, 0.5);
    static final float[] START = {-1.5f, -0.3f, 0.0f, 0.4f, 1.1f, 2.2f};

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** Runs {@code scheduler} with the exact velocity; returns the max error against the exact endpoint. */
    static double endpointError(FlowScheduler scheduler) {
        FlowSchedule s = scheduler.schedule();
        try (PointerScope scope = new PointerScope(); scheduler) {
            Tensor x0 = Tensors.fromFloats(START, 1, 1, 1, 2, 3);
            AtomicInteger k = new AtomicInteger();
            GuidedVelocity exact = (x, t) -> {
                Tensor v = FLOW.velocity(x, s.sigma(k.getAndIncrement()));
                return new GuidedVelocity.Prediction(v, v);
            };
            Tensor out = new FlowSampler(scheduler, new CfgGuidance(1.0)).sample(x0, exact, FlowSampler.StepListener.NONE);
            float[] got = Tensors.toFloats(out);
            assertArrayEquals(START, Tensors.toFloats(x0), "the noise must be left untouched");
            double err = 0;
            for (int i = 0; i < START.length; i++) err = Math.max(err, Math.abs(got[i] - FLOW.endpoint(START[i], s.sigma(0))));
            return err;
        }
    }

    @Test
    void uniPcIsSecondOrderAndBeatsEuler() {
        double uni20 = endpointError(new FlowUniPcScheduler(FlowSchedule.wan(20, 1.0, 1000)));
        double uni80 = endpointError(new FlowUniPcScheduler(FlowSchedule.wan(80, 1.0, 1000)));
        double euler20 = endpointError(new FlowMatchEulerScheduler(FlowSchedule.wan(20, 1.0, 1000)));
        double euler80 = endpointError(new FlowMatchEulerScheduler(FlowSchedule.wan(80, 1.0, 1000)));
        assertTrue(uni20 < euler20 / 5, "UniPC " + uni20 + " vs Euler " + euler20);
        double eulerGain = euler20 / euler80, uniGain = uni20 / uni80;
        assertTrue(eulerGain > 3 && eulerGain < 5, "Euler is first order: 4× the steps gave " + eulerGain + "× less error");
        assertTrue(uniGain > 8, "UniPC is second order: 4× the steps gave only " + uniGain + "× less error");
        assertTrue(uni80 < 1e-3, "UniPC 80 steps error " + uni80);
    }

    @Test
    void uniPcWithShiftAndOrderThreeConverge() {
        double shifted30 = endpointError(FlowUniPcScheduler.wan(30, 5.0));
        double shifted120 = endpointError(FlowUniPcScheduler.wan(120, 5.0));
        double order3 = endpointError(new FlowUniPcScheduler(FlowSchedule.wan(30, 1.0, 1000), 3));
        double order1 = endpointError(new FlowUniPcScheduler(FlowSchedule.wan(30, 1.0, 1000), 1));
        assertTrue(shifted120 < shifted30 / 8, "shift 5: " + shifted30 + " → " + shifted120);
        assertTrue(order3 < order1 / 5, "order 3 " + order3 + " vs order 1 " + order1);
    }

    @Test
    void uniPcStaysOnTheStraightPathWhenDataIsKnown() {
        // With a velocity from one fixed data point every data prediction is equal, so each step must land
        // exactly on x_σ = (1−σ)·data + σ·noise.
        FlowSchedule s = FlowSchedule.wan(6, 5.0, 1000);
        try (PointerScope scope = new PointerScope(); FlowUniPcScheduler uni = new FlowUniPcScheduler(s)) {
            float[] data = {0.3f, -0.8f, 1.2f, 0.05f};
            float[] noise = {1.0f, 0.5f, -1.5f, 2.0f};
            Tensor dataT = Tensors.fromFloats(data, 1, 1, 1, 2, 2);
            Tensor noiseT = Tensors.fromFloats(noise, 1, 1, 1, 2, 2);
            Tensor x = noiseT.mul(new org.bytedeco.pytorch.Scalar(s.sigma(0)))
                    .add(dataT.mul(new org.bytedeco.pytorch.Scalar(1 - s.sigma(0))));
            for (int k = 0; k < s.steps(); k++) {
                x = uni.step(k, x, noiseT.sub(dataT));
                float[] got = Tensors.toFloats(x);
                double sig = s.sigma(k + 1);
                for (int i = 0; i < data.length; i++)
                    assertEquals((1 - sig) * data[i] + sig * noise[i], got[i], 2e-6, "step " + k + " element " + i);
            }
        }
    }

    @Test
    void uniPcRejectsStepsOutOfOrder() {
        try (PointerScope scope = new PointerScope(); FlowUniPcScheduler uni = FlowUniPcScheduler.wan(5, 5.0)) {
            Tensor x = Tensors.fromFloats(new float[]{1f}, 1, 1, 1, 1, 1);
            assertThrows(IllegalStateException.class, () -> uni.step(1, x, x));
        }
    }

    @Test
    void eulerStepIsXPlusDeltaSigmaTimesV() {
        FlowSchedule s = FlowSchedule.shiftedEuler(4, 3.0, 1000);
        try (PointerScope scope = new PointerScope()) {
            Tensor x = Tensors.fromFloats(new float[]{1f, -2f}, 1, 1, 1, 1, 2);
            Tensor v = Tensors.fromFloats(new float[]{0.5f, 3f}, 1, 1, 1, 1, 2);
            float[] got = Tensors.toFloats(FlowMatchEulerScheduler.linum(4).step(1, x, v));
            float dt = s.sigma(2) - s.sigma(1);
            assertEquals(1f + dt * 0.5f, got[0], 1e-7);
            assertEquals(-2f + dt * 3f, got[1], 1e-7);
        }
    }

    @Test
    void samplerReportsEveryStepAndStopsWhenCancelled() {
        try (PointerScope scope = new PointerScope()) {
            Tensor noise = Tensors.fromFloats(START, 1, 1, 1, 2, 3);
            AtomicInteger reported = new AtomicInteger();
            GuidedVelocity zero = (x, t) -> new GuidedVelocity.Prediction(x.mul(new org.bytedeco.pytorch.Scalar(0)), x);
            FlowSampler sampler = new FlowSampler(FlowMatchEulerScheduler.linum(7), new CfgGuidance(1.0));
            sampler.sample(noise, zero, (done, total) -> {
                assertEquals(7, total);
                assertEquals(reported.incrementAndGet(), done);
            });
            assertEquals(7, reported.get());

            AtomicInteger calls = new AtomicInteger();
            FlowSampler.StepListener stopAfterTwo = new FlowSampler.StepListener() {
                @Override
                public void stepDone(int done, int total) {
                    calls.set(done);
                }

                @Override
                public boolean cancelled() {
                    return calls.get() >= 2;
                }
            };
            assertThrows(GenerationCancelledException.class, () -> sampler.sample(noise, zero, stopAfterTwo));
            assertEquals(2, calls.get());
        }
    }
}
