package dev.zoetrope.train.dit;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

class FlowMatchingTest {
    @Test
    void noisedInputInterpolatesDataAndNoise() {
        Engine.init();
        try (PointerScope s = new PointerScope()) {
            Tensor data = Tensors.fromFloats(new float[]{1, 2, 3, 4}, 2, 2);
            Tensor noise = Tensors.fromFloats(new float[]{-1, 0, 5, 4}, 2, 2);
            Tensor sig = Tensors.fromFloats(new float[]{0.25f, 1f}, 2);
            FlowMatching.Noised n = FlowMatching.at(data, noise, sig);
            assertArrayEquals(new float[]{0.5f, 1.5f, 5, 4}, Tensors.toFloats(n.input()), 1e-6f);
            assertArrayEquals(new float[]{-2, -2, 2, 0}, Tensors.toFloats(n.target()), 1e-6f);
            assertArrayEquals(new float[]{250, 1000}, Tensors.toFloats(n.timesteps()), 1e-3f);
        }
    }

    @Test
    void shiftedLogitNormalSigmasLeanTowardNoiseAndAreSeeded() {
        Engine.init();
        try (PointerScope s = new PointerScope()) {
            FlowMatching plain = new FlowMatching(0, 1, 1), shifted = new FlowMatching(0, 1, 3);
            float[] a = Tensors.toFloats(plain.sampleSigmas(20000, torch.make_generator_cpu(5)));
            float[] b = Tensors.toFloats(shifted.sampleSigmas(20000, torch.make_generator_cpu(5)));
            double ma = 0, mb = 0;
            int lowA = 0, lowB = 0;
            for (int i = 0; i < a.length; i++) {
                if (a[i] < 0.3) lowA++;
                if (b[i] < 0.3) lowB++;
                assertTrue(a[i] > 0 && a[i] < 1 && b[i] > 0 && b[i] < 1);
                // same draw u: shift·s/(1+(shift−1)s) computed independently here
                assertEquals(3 * a[i] / (1 + 2 * a[i]), b[i], 1e-5);
                ma += a[i];
                mb += b[i];
            }
            assertEquals(0.5, ma / a.length, 0.01, "logit-normal(0,1) is symmetric about 0.5");
            assertTrue(mb / b.length > 0.6, "shift 3 moves sigmas toward noise");
            // the low noise levels that shape small clips: Φ(logit 0.3) ≈ 19.9% unshifted, Φ(logit 0.125) ≈ 2.6% at shift 3
            assertEquals(0.199, lowA / (double) a.length, 0.01);
            assertEquals(0.026, lowB / (double) b.length, 0.005);
            assertArrayEquals(a, Tensors.toFloats(plain.sampleSigmas(20000, torch.make_generator_cpu(5))), "same seed, same sigmas");
        }
    }

    @Test
    void studentSigmasSitAtTheSamplersStepsByTheirLengthWithSomeUniform() {
        Engine.init();
        try (PointerScope s = new PointerScope()) {
            // the 4-step schedule at shift 1: three steps of a third each, then one from 0.001 to 0
            float[] schedule = {1.0f, 0.667f, 0.334f, 0.001f, 0f};
            float[] exact = Tensors.toFloats(FlowMatching.aroundSteps(schedule, 0, 0, 6000, torch.make_generator_cpu(3)));
            int[] hits = new int[4];
            for (float x : exact) {
                int k = java.util.Arrays.binarySearch(new float[]{0.001f, 0.334f, 0.667f, 1.0f}, x);
                assertTrue(k >= 0, "without jitter every sigma is a step's: " + x);
                hits[k]++;
            }
            assertTrue(hits[0] < 20, "the last step hardly moves the result, so it is hardly trained: " + hits[0]);
            for (int k = 1; k < 4; k++) assertEquals(2000, hits[k], 150, "the long steps evenly");

            float[] mixed = Tensors.toFloats(FlowMatching.aroundSteps(schedule, 0.03, 0.25, 20000, torch.make_generator_cpu(3)));
            int near = 0, between = 0;
            for (float x : mixed) {
                assertTrue(x >= 0 && x <= 1, "clamped to [0, 1]: " + x);
                double d = Double.MAX_VALUE;
                for (int k = 0; k < 3; k++) d = Math.min(d, Math.abs(x - schedule[k]));
                if (d < 0.09) near++;
                if (x > 0.45 && x < 0.55) between++;
            }
            // 75% jittered around a long step (within 3 std), plus the uniform draws that land near one by chance
            // ([0.244, 0.424), [0.577, 0.757), [0.91, 1]: 0.45 of them)
            assertEquals(0.75 * 0.997 + 0.25 * 0.45, near / (double) mixed.length, 0.02);
            assertEquals(0.25 * 0.10, between / (double) mixed.length, 0.006, "the uniform share reaches between the steps");
            assertArrayEquals(mixed, Tensors.toFloats(FlowMatching.aroundSteps(schedule, 0.03, 0.25, 20000, torch.make_generator_cpu(3))),
                    "same generator state, same sigmas");
        }
    }

    @Test
    void salientLatentPositionsWeighMoreInTheLoss() {
        Engine.init();
        try (PointerScope s = new PointerScope()) {
            // (1, 2, 1, 2, 2): three background positions at 0 and one subject position 2 away on both channels
            Tensor data = Tensors.fromFloats(new float[]{0, 0, 0, 2, 0, 0, 0, 2}, 1, 2, 1, 2, 2);
            Tensor w = dev.zoetrope.train.loop.Salience.weights(data, 4.0, 2.0);
            float[] weights = Tensors.toFloats(w.contiguous());
            assertArrayEquals(new float[]{4 / 7f, 4 / 7f, 4 / 7f, 16 / 7f}, weights, 1e-6f, "4× for the subject, mean 1");
            Tensor prediction = Tensors.fromFloats(new float[]{1, 0, 0, 0, 0, 0, 0, 3}, 1, 2, 1, 2, 2);
            Tensor target = torch.zeros_like(prediction);
            double plain = Tensors.toFloats(FlowMatching.loss(prediction, target))[0];
            double weighted = Tensors.toFloats(FlowMatching.loss(prediction, target, w))[0];
            assertEquals(10 / 8.0, plain, 1e-6);
            assertEquals((1 * 4 / 7.0 + 9 * 16 / 7.0) / 8, weighted, 1e-6, "each squared error times its position's weight");
            assertEquals(plain, Tensors.toFloats(FlowMatching.loss(prediction, target, null))[0], 1e-9);
            assertThrows(IllegalArgumentException.class, () -> dev.zoetrope.train.loop.Salience.weights(data, 0.5, 2.0));
        }
    }
}
