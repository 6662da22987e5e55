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

    /** On a GPU the tiles follow the free memory: whole frames when they fit, else the largest tile that does. */
    @Test
    void tilesAreTheLargestThatFitTheMemory() {
        Engine.init();
        var c = dev.zoetrope.models.vae.WanVaeConfig.wan21();
        int h = 90, w = 160, frames = 121; // 720p, 5 s
        long whole = MemoryPlan.vaeDecodePeak(c, h, w);
        assertNull(VaeDecoder.fittingTiles(c, h, w, frames, whole), "whole frames fit exactly their own peak");
        long clip = 3L * frames * 720 * 1280 * 4;
        long budget = whole / 4;
        var tiles = VaeDecoder.fittingTiles(c, h, w, frames, budget);
        assertNotNull(tiles);
        int t = tiles.tileWidth();
        assertEquals(t, tiles.tileHeight());
        assertTrue(MemoryPlan.vaeDecodePeak(c, Math.min(t, h), Math.min(t, w)) + clip <= budget, "the tile fits");
        assertTrue(MemoryPlan.vaeDecodePeak(c, Math.min(t + 8, h), Math.min(t + 8, w)) + clip > budget, "the next larger does not");
        assertEquals(VaeDecoder.MIN_TILE, VaeDecoder.fittingTiles(c, h, w, frames, 1).tileWidth(), "never below the smallest tile");
        assertNull(VaeDecoder.fittingTiles(c, h, w, frames, Long.MAX_VALUE));
    }
}
