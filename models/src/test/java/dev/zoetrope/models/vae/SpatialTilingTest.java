package dev.zoetrope.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.progress.GenerationCancelledException;

/** Decoding in overlapping spatial tiles. */
class SpatialTilingTest {

    @Test
    void tilesCoverTheAxisEvenlyWithTheLeastWork() {
        // 720p rows: 3 tiles of at most 48 → 36 each, overlapping by 9 and 9
        assertEquals(new SpatialTiling.Axis(36, List.of(0, 27, 54)), SpatialTiling.axis(90, 48, 8));
        assertEquals(new SpatialTiling.Axis(30, List.of(0, 22, 43, 65, 87, 108, 130)), SpatialTiling.axis(160, 32, 8));
        assertEquals(new SpatialTiling.Axis(20, List.of(0)), SpatialTiling.axis(20, 32, 8));
        assertEquals(new SpatialTiling.Axis(5, List.of(0, 1)), SpatialTiling.axis(6, 5, 4));
        for (int size = 9; size < 200; size += 7) {
            SpatialTiling.Axis a = SpatialTiling.axis(size, 32, 8);
            assertTrue(a.length() <= 32);
            assertEquals(0, (int) a.starts().getFirst());
            assertEquals(size - a.length(), (int) a.starts().getLast(), "last tile ends at the edge, size " + size);
            for (int i = 1; i < a.starts().size(); i++)
                assertTrue(a.starts().get(i - 1) + a.length() - a.starts().get(i) >= 8, "overlap at least 8, size " + size);
        }
    }

    @Test
    void rampsOfNeighboursSumToOneAcrossAnExactOverlap() {
        float[] left = SpatialTiling.ramp(16, 8, false, true), right = SpatialTiling.ramp(16, 8, true, false);
        for (int k = 0; k < 8; k++) assertEquals(1.0, left[8 + k] + right[k], 1e-6, "overlap pixel " + k);
        assertEquals(1.0f, left[0]);
        assertEquals(1.0f, right[15]);
        for (float w : SpatialTiling.ramp(16, 8, true, true)) assertTrue(w > 0);
        assertThrows(IllegalArgumentException.class, () -> new SpatialTiling(8, 8, 8));
    }

    /**
     * A tiled decode hands frames to its sink only at the end, so the cancel check must sit inside it. Cancelled
     * once the first of four tiles is done, it has done that tile's work and no more (conv FLOPs counted), and
     * the sink never hears of it.
     */
    @Test
    void cancellingATiledDecodeStopsAfterTheCurrentTile() {
        WanVaeConfig config = new WanVaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
        SpatialTiling tiling = new SpatialTiling(5, 5, 4);
        try (WanVae vae = WanVae.random(config, 5); PointerScope s = new PointerScope()) {
            torch.manual_seed(22);
            Tensor z = torch.randn(1, 4, 2, 6, 6);
            int framesPerTile = 2, tiles = 4;
            List<Integer> delivered = new ArrayList<>();
            FrameSink sink = (frames, first) -> delivered.add(first);

            vae.meter().reset();
            vae.decode(z, tiling, sink, () -> false);
            double whole = vae.meter().flops();
            assertEquals(List.of(0, 1), delivered, "uncancelled, every frame arrives");

            delivered.clear();
            vae.meter().reset();
            assertThrows(GenerationCancelledException.class, () -> vae.decode(z, tiling, sink, () -> true));
            double before = vae.meter().flops(); // the shared 1×1 conv over the whole latent, before any tile

            AtomicInteger checks = new AtomicInteger();
            vae.meter().reset();
            assertThrows(GenerationCancelledException.class,
                    () -> vae.decode(z, tiling, sink, () -> checks.incrementAndGet() > framesPerTile));
            double oneTile = vae.meter().flops() - before;
            assertEquals(framesPerTile + 1, checks.get(), "asked before each latent frame of the first tile, then stopped");
            assertTrue(delivered.isEmpty(), "a cancelled decode delivers no frames: " + delivered);
            assertTrue(oneTile > 0, "the first tile was decoded");
            assertEquals(whole - before, tiles * oneTile, 1e-9 * whole, "one tile of " + tiles + " was decoded, no more");
        }
    }

    /**
     * Tiling is an approximation: near its borders a tile sees zero padding instead of its neighbours, and
     * the middle attention only spans the tile. The linear blend hides the seams but cannot remove that
     * difference, so the bound here is loose (measured 0.8% mean and 6.5% max of the signal for this
     * seed and these tiles), unlike the exact chunked-versus-whole equality.
     */
    @Test
    void tiledDecodeIsCloseToUntiledAndBoundsActivations() {
        try (WanVae vae = WanVae.load(WanVaeFixtureTest.fixture("vae.safetensors")); PointerScope s = new PointerScope()) {
            torch.manual_seed(21);
            Tensor z = torch.randn(1, 16, 2, 6, 6);
            vae.meter().reset();
            Tensor full = vae.decode(z);
            long untiledLargest = vae.meter().largestOutput();
            vae.meter().reset();
            Tensor tiled = vae.decode(z, new SpatialTiling(5, 5, 4));
            long tiledLargest = vae.meter().largestOutput();

            double max = Tensors.maxAbs(full);
            double maxDiff = Tensors.maxAbsDiff(full, tiled);
            double meanDiff = tiled.sub(full).abs().mean().item_double();
            assertTrue(meanDiff <= 0.02 * max, "mean|Δ| " + meanDiff + " vs max " + max);
            assertTrue(maxDiff <= 0.15 * max, "max|Δ| " + maxDiff + " vs max " + max);
            assertTrue(maxDiff > 0, "four tiles cannot be bit-identical to one pass");
            // the largest activation shrinks with the tile area: 5×5 of 6×6 latent pixels
            assertEquals(untiledLargest * 25, tiledLargest * 36, "largest conv output " + tiledLargest + " vs " + untiledLargest);
        }
    }
}
