package dev.zoetrope.models.bench;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;

class T5BenchTest {
    @Test
    void countsTheMatmulFlopsOfABlock() {
        T5Config xxl = T5Config.t5v11Xxl().withLayers(2);
        long l = 256, d = 4096, heads = 64, dk = 64, ff = 10240;
        long perBlock = 4 * (2 * l * d * heads * dk)      // q, k, v, o
                + 2 * (2 * heads * l * l * dk)              // q·kᵀ and p·v
                + 3 * (2 * l * d * ff);                     // wi_0, wi_1, wo
        assertEquals(2.0 * perBlock, T5Bench.matmulFlops(xxl, 256));
    }

    @Test
    void randomWeightsBuildAWorkingEncoder() {
        Engine.init();
        T5Config tiny = new T5Config(32, 8, 48, 4, 2, 32, 128, "gated-gelu", 1e-6, 64, true);
        try (T5Encoder enc = T5Encoder.random(tiny, 0.02, 7, DType.BF16, false);
             PointerScope s = new PointerScope()) {
            assertEquals(DType.BF16, enc.dtype());
            Tensor out = enc.encode(new int[]{3, 9, 27, 1});
            assertArrayEquals(new long[]{4, 32}, Tensors.shape(out));
            assertEquals(DType.F32, Tensors.dtype(out));
            double max = Tensors.maxAbs(out);
            assertTrue(max > 0 && Double.isFinite(max));
        }
    }
}
