package dev.zoetrope.models.pipeline;

import java.nio.file.Path;
import java.util.function.BooleanSupplier;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Devices;
import dev.zoetrope.models.vae.SpatialTiling;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * The Wan 2.1 VAE as a {@link LatentDecoder}: causal, cached decode one latent frame at a time, in overlapping
 * spatial tiles when the frame is larger than a tile. Untiled, a 360p frame group needs about 5 GB at the real
 * VAE width and 720p four times that; 256-pixel tiles bound it near 1.4 GB for about 1.4× the work at 360p. On a GPU
 * the tiles are chosen per clip from the device's free memory ({@link #fittingTiles}): whole frames when they fit.
 */
public final class VaeDecoder implements LatentDecoder {
    /** The VAE's standard tiles: at most 32×32 latent pixels (256×256 pixels), overlapping by 8. */
    public static final SpatialTiling DEFAULT_TILING = SpatialTiling.standard();

    private final WanVae vae;
    private final SpatialTiling tiling;
    /** A GPU whose free memory sizes the tiles at each decode, or null for the fixed {@link #tiling}. */
    private final ComputeDevice fitTo;

    /** @param tiling null decodes whole frames */
    public VaeDecoder(WanVae vae, SpatialTiling tiling) {
        this(vae, tiling, null);
    }

    private VaeDecoder(WanVae vae, SpatialTiling tiling, ComputeDevice fitTo) {
        this.vae = vae;
        this.tiling = tiling;
        this.fitTo = fitTo;
    }

    public static VaeDecoder load(Path weights) {
        return load(weights, (org.bytedeco.pytorch.Device) null);
    }

    /** The VAE at {@code weights} (a file, or a directory with its config) onto {@code device} (null: the CPU). */
    public static VaeDecoder load(Path weights, org.bytedeco.pytorch.Device device) {
        return new VaeDecoder(WanVae.load(weights, device), DEFAULT_TILING);
    }

    /** A model directory's VAE, with its config as the directory parsed it (null: dims from the weights). */
    public static VaeDecoder load(ModelDirectory dir) {
        return load(dir, ComputeDevice.CPU);
    }

    /** @param device where the VAE's weights go as they load (null: the CPU) */
    public static VaeDecoder load(ModelDirectory dir, org.bytedeco.pytorch.Device device) {
        return new VaeDecoder(WanVae.load(dir.vaeWeights(), dir.vaeSettings(), String.valueOf(dir.vaeConfig()), device),
                DEFAULT_TILING);
    }

    /**
     * A model directory's VAE on {@code device} (resolved): on a GPU its tiles fit the memory free when each decode
     * starts; on the CPU the standard tiles.
     */
    public static VaeDecoder load(ModelDirectory dir, ComputeDevice device) {
        return load(dir, device, DType.F32);
    }

    /** {@link #load(ModelDirectory, ComputeDevice)} decoding in {@code compute} (f32 or bf16). */
    public static VaeDecoder load(ModelDirectory dir, ComputeDevice device, DType compute) {
        WanVae vae = WanVae.load(dir.vaeWeights(), dir.vaeSettings(), String.valueOf(dir.vaeConfig()), device.target(), compute);
        return new VaeDecoder(vae, DEFAULT_TILING, device instanceof ComputeDevice.Cuda ? device : null);
    }

    /**
     * The tiles for decoding a latent of {@code latentHeight}×{@code latentWidth} into {@code frames} frames within
     * {@code budget} bytes of activations: whole frames (null) when they fit, else the largest square tile that fits
     * with the clip buffer tiles are blended into, else the smallest tile (16 latent pixels).
     */
    public static SpatialTiling fittingTiles(WanVaeConfig c, int latentHeight, int latentWidth, int frames, long budget) {
        if (MemoryPlan.vaeDecodePeak(c, latentHeight, latentWidth) <= budget) return null;
        long clip = 3L * frames * latentHeight * c.spatialFactor() * latentWidth * c.spatialFactor() * 4;
        int overlap = DEFAULT_TILING.overlap();
        for (int t = Math.max(latentHeight, latentWidth) / 8 * 8; t > MIN_TILE; t -= 8)
            if (MemoryPlan.vaeDecodePeak(c, Math.min(t, latentHeight), Math.min(t, latentWidth)) + clip <= budget)
                return new SpatialTiling(t, t, overlap);
        return new SpatialTiling(MIN_TILE, MIN_TILE, overlap);
    }

    /** The smallest tile: below it the overlap is most of the work. */
    static final int MIN_TILE = 16;

    public WanVae vae() {
        return vae;
    }

    @Override
    public int latentChannels() {
        return vae.config().zDim();
    }

    @Override
    public int temporalFactor() {
        return vae.config().temporalFactor();
    }

    @Override
    public int spatialFactor() {
        return vae.config().spatialFactor();
    }

    @Override
    public void decode(Tensor latent, Frames sink, BooleanSupplier cancelled) {
        if (latent.size(0) != 1) throw new IllegalArgumentException("decode one clip at a time, got a batch of " + latent.size(0));
        SpatialTiling tiles = tiling;
        if (fitTo != null) {
            long free = Devices.freeMemory(fitTo).orElseThrow();
            tiles = fittingTiles(vae.config(), (int) latent.size(3), (int) latent.size(4),
                    vae.videoFrames((int) latent.size(2)), (long) (free * (1 - MemoryPlan.HEADROOM)));
        }
        vae.decode(latent, tiles, (frames, first) -> sink.accept(frames.select(0, 0), first), cancelled);
    }

    @Override
    public void close() {
        vae.close();
    }
}
