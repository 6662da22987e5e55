package dev.zoetrope.models.pipeline;

import java.nio.file.Path;
import java.util.function.BooleanSupplier;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.models.vae.SpatialTiling;
import dev.zoetrope.models.vae.WanVae;

/**
 * The Wan 2.1 VAE as a {@link LatentDecoder}: causal, cached decode one latent frame at a time, in overlapping
 * spatial tiles when the frame is larger than a tile. Untiled, a 360p frame group needs about 6.5 GB at the real
 * VAE width on a CPU and 720p four times that; 256-pixel tiles bound it near 2 GB for about 1.4× the work at 360p.
 */
public final class VaeDecoder implements LatentDecoder {
    /** The VAE's standard tiles: at most 32×32 latent pixels (256×256 pixels), overlapping by 8. */
    public static final SpatialTiling DEFAULT_TILING = SpatialTiling.standard();

    private final WanVae vae;
    private final SpatialTiling tiling;

    /** @param tiling null decodes whole frames */
    public VaeDecoder(WanVae vae, SpatialTiling tiling) {
        this.vae = vae;
        this.tiling = tiling;
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
        return load(dir, null);
    }

    /** @param device where the VAE's weights go as they load (null: the CPU) */
    public static VaeDecoder load(ModelDirectory dir, org.bytedeco.pytorch.Device device) {
        return new VaeDecoder(WanVae.load(dir.vaeWeights(), dir.vaeSettings(), String.valueOf(dir.vaeConfig()), device),
                DEFAULT_TILING);
    }

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
        vae.decode(latent, tiling, (frames, first) -> sink.accept(frames.select(0, 0), first), cancelled);
    }

    @Override
    public void close() {
        vae.close();
    }
}
