package dev.zoetrope.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Tensors;

/** The released Wan 2.1 VAE decoding a whole 360p clip on libtorch's meta device, latent frame by latent frame. */
class VaeOnMetaTest {
    @Test
    void theReleasedVaeDecodesA360pClipOnMeta() {
        try (WanVae vae = WanVae.onMeta(WanVaeConfig.wan21()); PointerScope scope = new PointerScope()) {
            Tensor z = torch.empty(new long[]{1, 16, 13, 45, 80}, new TensorOptions(new Device("meta")), new MemoryFormatOptional());
            List<long[]> pieces = new ArrayList<>();
            vae.decode(z, null, (frames, first) -> {
                assertTrue(frames.is_meta());
                pieces.add(Tensors.shape(frames));
            }, () -> false);
            assertEquals(13, pieces.size(), "one piece per latent frame");
            assertArrayEquals(new long[]{1, 3, 1, 360, 640}, pieces.getFirst());
            assertArrayEquals(new long[]{1, 3, 4, 360, 640}, pieces.getLast());
        }
    }
}
