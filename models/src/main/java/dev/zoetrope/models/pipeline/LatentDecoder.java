package dev.zoetrope.models.pipeline;

import java.util.function.BooleanSupplier;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.progress.GenerationCancelledException;

/** The VAE decoder as the pipeline drives it, streaming frames as each latent frame is decoded. */
public interface LatentDecoder extends AutoCloseable {
    /** Receives (3, n, H, W) float frames, roughly in [−1, 1], freed after the call; {@code first} is the clip index. */
    @FunctionalInterface
    interface Frames {
        void accept(Tensor frames, int first);
    }

    /** Latent channels (16 for the Wan 2.1 VAE). */
    int latentChannels();

    /** Video frames per latent frame after the first (4 for Wan 2.1: T = 4n + 1 ↔ n + 1). */
    int temporalFactor();

    /** Pixels per latent pixel (8). */
    int spatialFactor();

    /** Decodes a VAE-space latent (1, C, t, h, w) frame by frame. */
    default void decode(Tensor latent, Frames sink) {
        decode(latent, sink, () -> false);
    }

    /**
     * Decodes as {@link #decode(Tensor, Frames)}, asking {@code cancelled} between units of work (latent frames,
     * spatial tiles), so a cancel does not wait for the whole decode.
     *
     * @throws GenerationCancelledException when {@code cancelled} says so
     */
    void decode(Tensor latent, Frames sink, BooleanSupplier cancelled);

    @Override
    void close();
}
