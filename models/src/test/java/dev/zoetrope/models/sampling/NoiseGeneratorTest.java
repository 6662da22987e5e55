package dev.zoetrope.models.sampling;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

class NoiseGeneratorTest {
    @BeforeAll
    static void engine() {
        Engine.init();
    }

    @Test
    void sameSeedSameNoiseAndGlobalDrawsDoNotInterfere() {
        try (PointerScope scope = new PointerScope()) {
            float[] a = Tensors.toFloats(new NoiseGenerator(20).gaussian(1, 16, 3, 4, 5));
            org.bytedeco.pytorch.global.torch.randn(100); // the global generator moves; ours must not care
            float[] b = Tensors.toFloats(new NoiseGenerator(20).gaussian(1, 16, 3, 4, 5));
            float[] c = Tensors.toFloats(new NoiseGenerator(21).gaussian(1, 16, 3, 4, 5));
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, c));
            double mean = 0, sq = 0;
            for (float v : a) {
                mean += v;
                sq += v * v;
            }
            mean /= a.length;
            double std = Math.sqrt(sq / a.length - mean * mean);
            assertEquals(0, mean, 0.15);
            assertEquals(1, std, 0.15);
        }
    }

    @Test
    void sameNoiseFromManyThreads() throws Exception {
        float[] expected;
        try (PointerScope scope = new PointerScope()) {
            expected = Tensors.toFloats(new NoiseGenerator(7).gaussian(2, 3, 17));
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<float[]>>();
            for (int i = 0; i < 8; i++)
                futures.add(pool.submit(() -> {
                    try (PointerScope scope = new PointerScope()) {
                        return Tensors.toFloats(new NoiseGenerator(7).gaussian(2, 3, 17));
                    }
                }));
            for (var f : futures) assertArrayEquals(expected, f.get());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void rejectsEmptyShapes() {
        assertThrows(IllegalArgumentException.class, () -> new NoiseGenerator(1).gaussian(2, 0, 3));
    }
}
