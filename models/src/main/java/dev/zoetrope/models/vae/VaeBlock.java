package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;

/** A block of the encoder or decoder stacks, on (B, C, T, H, W) tensors. */
sealed interface VaeBlock permits ResidualBlock, AttentionBlock, Resample {
    /** Chunked when {@code cache} is given, else a whole-clip pass. */
    Tensor forward(Tensor x, TimeCache cache);
}
