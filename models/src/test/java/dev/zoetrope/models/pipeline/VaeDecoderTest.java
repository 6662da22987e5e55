package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.safetensors.Weights;

class VaeDecoderTest {
    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    @Test
    void streamsFramesInOrderEqualToTheReferenceDecode() {
        Engine.init();
        try (PointerScope scope = new PointerScope();
             VaeDecoder vae = VaeDecoder.load(fixtures().resolve("linum-tiny/vae.safetensors"));
             Weights io = Weights.open(fixtures().resolve("linum-tiny/vae_io.safetensors"))) {
            assertEquals(16, vae.latentChannels());
            assertEquals(4, vae.temporalFactor());
            assertEquals(8, vae.spatialFactor());
            List<Integer> firsts = new ArrayList<>();
            TensorVector pieces = new TensorVector();
            vae.decode(io.load("z", DType.F32), (frames, first) -> {
                assertEquals(3, frames.size(0));
                firsts.add(first);
                pieces.push_back(frames.clone()); // the vector holds its own reference to the copy
            });
            assertEquals(List.of(0, 1, 5), firsts, "1 frame, then 4 per latent frame");
            Comparison c = Comparison.of("decoded", torch.cat(pieces, 1).unsqueeze(0), io.load("expected_decoded", DType.F32));
            assertTrue(c.passes(), c.describe(Comparison.TOLERANCE));
        }
    }
}
