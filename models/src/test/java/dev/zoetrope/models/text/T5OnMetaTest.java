package dev.zoetrope.models.text;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;

/** The released text encoders at full size on libtorch's meta device: a 256-token prompt, every block, no data. */
class T5OnMetaTest {
    @Test
    void theReleasedEncodersEncodeOnMeta() {
        int[] ids = new int[256];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919) % 32000;
        for (T5Config c : new T5Config[]{T5Config.t5v11Xxl(), T5Config.umt5Xxl()})
            try (T5Encoder enc = T5Encoder.onMeta(c, DType.BF16); PointerScope scope = new PointerScope()) {
                Tensor states = enc.encode(ids);
                assertTrue(states.is_meta());
                assertArrayEquals(new long[]{256, 4096}, Tensors.shape(states));
                assertEquals(DType.F32, Tensors.dtype(states));
            }
    }
}
