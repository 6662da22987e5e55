package dev.zoetrope.models.dit;

import java.util.Locale;

/**
 * The two families of Wan-style diffusion transformers. They share one architecture; what differs is
 * configuration (see {@link DitConfig}), and each family supplies the defaults for what weights cannot tell.
 */
public enum DitFamily {
    /** Linum v2: frame mask, affine modulated norms with eps 1e-5, no bias on text embedding and cross-attn k/v. */
    LINUM(256, 1e-5, true),
    /** Wan 2.1: every Linear has a bias, non-affine modulated norms with eps 1e-6, no frame mask. */
    WAN(512, 1e-6, false);

    /** Both families use heads of 128 channels; the head count is not visible in the weight shapes. */
    public static final int DEFAULT_HEAD_DIM = 128;

    private final int textLen;
    private final double layerNormEps;
    private final boolean frameMask;

    DitFamily(int textLen, double layerNormEps, boolean frameMask) {
        this.textLen = textLen;
        this.layerNormEps = layerNormEps;
        this.frameMask = frameMask;
    }

    public int defaultTextLen() {
        return textLen;
    }

    public double defaultLayerNormEps() {
        return layerNormEps;
    }

    public boolean defaultFrameMask() {
        return frameMask;
    }

    public boolean defaultBiases() {
        return this == WAN;
    }

    public boolean defaultAffineModulatedNorms() {
        return this == LINUM;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DitFamily parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "linum", "linum-v2", "linum_v2" -> LINUM;
            case "wan", "wan2.1", "wan21", "wan-2.1" -> WAN;
            default -> throw new IllegalArgumentException("unknown DiT family '" + s + "'; use linum or wan");
        };
    }
}
