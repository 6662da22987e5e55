package dev.zoetrope.models.vae;

import java.util.ArrayList;
import java.util.List;

/**
 * Decoding in overlapping spatial tiles, sizes in latent pixels (×8 for pixels). Overlaps are blended
 * with linear ramps, so activations scale with the tile instead of the frame.
 */
public record SpatialTiling(int tileHeight, int tileWidth, int overlap) {
    public SpatialTiling {
        if (tileHeight < 1 || tileWidth < 1) throw new IllegalArgumentException("tile sizes must be positive");
        if (overlap < 0 || overlap >= Math.min(tileHeight, tileWidth))
            throw new IllegalArgumentException("tile overlap must be at least 0 and smaller than the tile, got " + overlap);
    }

    /** 256×256-pixel tiles overlapping by 64 pixels. */
    public static SpatialTiling standard() {
        return new SpatialTiling(32, 32, 8);
    }

    /** Whether a latent of this size needs more than one tile. */
    public boolean splits(long height, long width) {
        return height > tileHeight || width > tileWidth;
    }

    /** Tiles along one axis: all of {@code length}, at {@code starts}. */
    record Axis(int length, List<Integer> starts) {}

    /**
     * The fewest tiles of at most {@code tile} that cover {@code size} with at least {@code overlap} shared,
     * then shrunk to the smallest equal length that still does, and spread evenly: no work is spent on
     * tiles that mostly repeat their neighbour.
     */
    static Axis axis(int size, int tile, int overlap) {
        if (size <= tile) return new Axis(size, List.of(0));
        int n = Math.ceilDiv(size - overlap, tile - overlap);
        int length = Math.ceilDiv(size + (n - 1) * overlap, n);
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < n; i++) starts.add((int) Math.round((double) i * (size - length) / (n - 1)));
        return new Axis(length, starts);
    }

    /**
     * Blend weights along one axis for a tile of {@code length} pixels: ramps of {@code ramp} pixels up from
     * a side that borders an earlier tile and down towards a side that borders a later one.
     */
    static float[] ramp(int length, int ramp, boolean rampIn, boolean rampOut) {
        float[] w = new float[length];
        for (int k = 0; k < length; k++) {
            double in = rampIn && ramp > 0 ? Math.min(1.0, (k + 0.5) / ramp) : 1.0;
            double out = rampOut && ramp > 0 ? Math.min(1.0, (length - k - 0.5) / ramp) : 1.0;
            w[k] = (float) (in * out);
        }
        return w;
    }
}
