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
}
