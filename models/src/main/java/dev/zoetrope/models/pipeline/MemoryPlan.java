package dev.zoetrope.models.pipeline;

import java.util.List;
import java.util.Locale;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.vae.SpatialTiling;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * The expected peak device and host memory of each stage of one generation (text → denoise → decode), for a model,
 * clip size, dtype and {@link Offload} mode, before anything loads: what {@code zoetrope plan} prints.
 *
 * <p>Weights are exact: each model's module tree is built on libtorch's {@code meta} device in the load dtype and its
 * parameters counted (float32 norms and tables beside bf16 matrices included). Activations are counted from the
 * shapes the code makes and keeps alive at its peak (docs/performance.md, "Memory plan"); the DiT's peak is inside
 * self-attention, while the RoPE link of k is computed in float64 with q already made.
 *
 * @param stages text, denoise, decode, in that order
 */
public record MemoryPlan(Setup setup, List<Stage> stages) {

    /**
     * What is planned.
     *
     * @param textTokens     tokens the text encoder runs over (its padded length)
     * @param dtype          the DiT's and text encoder's weight dtype (the VAE is float32)
     * @param fusedAttention libtorch's fused attention (a GPU): no score matrix is materialised
     * @param tiling         the VAE's spatial tiles, or null to decode whole frames
     */
    public record Setup(ModelFamily family, DitConfig dit, T5Config text, int textTokens, WanVaeConfig vae, int width, int height,
                        int frames, DType dtype, Offload offload, boolean batchGuidance, boolean fusedAttention,
                        SpatialTiling tiling, long attentionWorkspace) {
        public Setup {
            vae.requireFits(width, height, frames);
        }

        int latentFrames() {
            return vae.latentFrames(frames);
        }

        int latentHeight() {
            return height / vae.spatialFactor();
        }

        int latentWidth() {
            return width / vae.spatialFactor();
        }

        /** Video tokens of the DiT: the latent grid over the patch size (height and width padded up). */
        long tokens() {
            DitConfig.PatchSize ps = dit.patchSize();
            return (long) (latentFrames() / ps.t()) * Math.ceilDiv(latentHeight(), ps.h()) * Math.ceilDiv(latentWidth(), ps.w());
        }
    }

    /** A model directory's sizes, read from its configs and weight headers (no weight is read). */
    public record Shapes(DitConfig dit, T5Config text, WanVaeConfig vae) {
        public static Shapes of(ModelDirectory dir) {
            DitConfig dit;
            try (Weights w = Weights.open(dir.ditWeights());
                 DiffusionTransformer shapes = DiffusionTransformer.plan(w, DitLoadOptions.defaults().withOverrides(dir.ditSettings()))) {
                dit = shapes.config();
            }
            T5Config text;
            try (Weights w = Weights.open(dir.textEncoder()); T5Encoder shapes = T5Encoder.plan(dir.textConfig(), w, DType.BF16)) {
                text = shapes.config();
            }
            try (Weights w = Weights.open(dir.vaeWeights());
                 WanVae shapes = WanVae.plan(w, dir.vaeSettings(), String.valueOf(dir.vaeConfig()))) {
                return new Shapes(dit, text, shapes.config());
            }
        }
    }

    /**
     * One stage's memory.
     *
     * @param deviceWeights weights on the device during the stage
     * @param deviceActivations activations, inputs and outputs on the device at the stage's peak
     * @param hostBytes host memory the stage holds beyond the mapped checkpoint files: weights kept page-locked for
     *                  streaming, the frames on their way to the encoder
     */
    public record Stage(String name, long deviceWeights, long deviceActivations, long hostBytes) {
        public long devicePeak() {
            return deviceWeights + deviceActivations;
        }
    }

    public static final String TEXT = "text", DENOISE = "denoise", DECODE = "decode";

    /** Plans {@code s}. */
    public static MemoryPlan of(Setup s) {
        long t5 = T5Encoder.weightBytes(s.text(), s.dtype());
        long dit = DiffusionTransformer.weightBytes(s.dit(), s.dtype());
        long block = DiffusionTransformer.blockWeightBytes(s.dit(), s.dtype());
        long vae = WanVae.weightBytes(s.vae());
        long streamedBlocks = (long) s.dit().numLayers() * block;
        // sequential: the device holds the DiT without its blocks, and one block at a time
        long ditOnDevice = s.offload() == Offload.SEQUENTIAL ? dit - streamedBlocks + block : dit;
        long ditOnHost = s.offload() == Offload.SEQUENTIAL ? streamedBlocks : 0;
        long textStates = 2L * s.textTokens() * s.dit().textDim() * 4;
        // NONE: the VAE is loaded (for its latent grid) before the DiT and stays; the DiT leaves before decoding
        long vaeWhileDenoising = s.offload() == Offload.NONE ? vae : 0;

        Stage text = new Stage(TEXT, t5, textEncoderActivations(s) + textStates, 0);
        Stage denoise = new Stage(DENOISE, ditOnDevice + vaeWhileDenoising, textStates + samplerBytes(s) + ditForwardPeak(s), ditOnHost);
        Stage decode = new Stage(DECODE, vae, latentBytes(s) + decodeActivations(s), frameGroupBytes(s));
        return new MemoryPlan(s, List.of(text, denoise, decode));
    }

    public Stage stage(String name) {
        return stages.stream().filter(st -> st.name().equals(name)).findFirst().orElseThrow();
    }

    /** The largest device peak of any stage. */
    public long devicePeak() {
        return stages.stream().mapToLong(Stage::devicePeak).max().orElse(0);
    }

    /** The largest host figure of any stage. */
    public long hostPeak() {
        return stages.stream().mapToLong(Stage::hostBytes).max().orElse(0);
    }

    /** Whether every stage fits {@code deviceBytes}, leaving {@link #HEADROOM} for the allocator and the CUDA context. */
    public boolean fits(long deviceBytes) {
        return devicePeak() <= deviceBytes * (1 - HEADROOM);
    }

    /** The share of a device kept free: CUDA context, allocator fragmentation, kernels' workspaces. */
    public static final double HEADROOM = 0.10;

    // ---------------------------------------------------------------- activations

    /** Bytes of a DiT-space latent in float32. */
    static long latentBytes(Setup s) {
        return (long) s.dit().inDim() * s.latentFrames() * s.latentHeight() * s.latentWidth() * 4;
    }

    /** The sampler's latents: x, the noise it started from, the batched input, the velocities, guidance's temporaries. */
    static long samplerBytes(Setup s) {
        int batch = s.batchGuidance() ? 2 : 1;
        return latentBytes(s) * (4 + 2L * batch);
    }

    /**
     * The DiT forward's peak, from the shapes each block keeps alive (B the guidance batch, N tokens, d the width, c the
     * compute dtype's size, T = B·N·d):
     * <ul>
     *   <li>throughout: the embedded tokens and the block's input stream (4T each), the RoPE table (complex128 for a
     *       float32 model, complex64 for a reduced-precision one), the embedded text;</li>
     *   <li>in self-attention: h (cT), then the largest of — k's chain while q is kept (cT): for a float32 model its
     *       RoPE link holds the float32 input, float64 copy, float64 product and float32 result (24T), for a bf16 one
     *       the projection (cT) and two float32 links of the RMSNorm or RoPE (8T); q, k and v (head-major, their only
     *       copies) and the output (4cT) plus the score buffer of one attention tile (CPU); those 4cT, the o projection
     *       (cT), the gated branch and the new stream (8T).</li>
     * </ul>
     * Cross-attention and the FFN (its hidden activations token-chunked to a few tens of MB) peak lower.
     */
    public static long ditForwardPeak(Setup s) {
        DitConfig c = s.dit();
        long batch = s.batchGuidance() ? 2 : 1, n = s.tokens(), d = c.dim(), cs = s.dtype().size();
        long t = batch * n * d;
        boolean reduced = cs < 4;
        long ropeTable = n * (c.headDim() / 2) * (reduced ? 8L : 16L);
        long text = batch * c.textLen() * ((long) c.textDim() * cs + 3L * d * cs);
        long scores = 0;
        if (!s.fusedAttention()) {
            Attention attention = new Attention(new Attention.Options(Attention.Kernel.CHUNKED, s.attentionWorkspace()));
            scores = attention.tile(c.numHeads(), n, n, s.dtype()).scoreBytes(n, s.dtype());
        }
        long kChain = cs * t + (reduced ? cs * t + 8 * t : 24 * t);
        long selfAttention = Math.max(kChain, Math.max(4 * cs * t + scores, 5 * cs * t + 8 * t));
        return 4 * t + 4 * t + ropeTable + text + cs * t + selfAttention;
    }

    /**
     * The text encoder over one prompt: its float32 hidden states and their norms and residuals, the gated FFN's three
     * (L, d_ff) tensors, and per layer the relative position bias, scores and probabilities (heads × L × L).
     */
    static long textEncoderActivations(Setup s) {
        long l = s.textTokens();
        T5Config c = s.text();
        return l * (8L * c.dModel() * 4 + 3L * c.dFf() * 4) + 3L * c.numHeads() * l * l * 4;
    }

    /**
     * The VAE decode at its peak: {@link #VAE_LIVE_FACTOR} times the largest convolution output of one tile's frame group
     * (each causal conv keeps its input, output, padded copy and time cache alive around it), plus, when tiled, the
     * float32 buffer of the whole clip the tiles are blended into.
     */
    static long decodeActivations(Setup s) {
        int h = s.latentHeight(), w = s.latentWidth();
        SpatialTiling t = s.tiling();
        boolean tiled = t != null && t.splits(h, w);
        int th = tiled ? Math.min(h, t.tileHeight()) : h, tw = tiled ? Math.min(w, t.tileWidth()) : w;
        long clip = tiled ? 3L * s.frames() * s.height() * s.width() * 4 : 0;
        return vaeDecodePeak(s.vae(), th, tw) + clip;
    }

    /** The activations of decoding one latent frame group of {@code latentHeight}×{@code latentWidth} (one tile). */
    public static long vaeDecodePeak(WanVaeConfig vae, int latentHeight, int latentWidth) {
        return VAE_LIVE_FACTOR * WanVae.largestDecodeOutput(vae, latentHeight, latentWidth) * 4;
    }

    /**
     * How many of its largest conv output a VAE decode keeps alive at its peak. Measured on the CPU with the real VAE
     * width (docs/performance.md, "Memory plan"): the process's peak resident set over the weights, divided by the
     * largest conv output.
     */
    static final long VAE_LIVE_FACTOR = 14;

    /** One decoded frame group in 8-bit RGB on the host, and its float32 copy, on the way to the encoder. */
    static long frameGroupBytes(Setup s) {
        return (long) s.vae().temporalFactor() * s.width() * s.height() * 3 * (1 + 4);
    }

    // ---------------------------------------------------------------- report

    /** The plan as a table, with what fits the given device sizes. */
    public String report(long... deviceSizes) {
        StringBuilder b = new StringBuilder();
        Setup s = setup;
        b.append(String.format(Locale.ROOT, "%s, %dx%d, %d frames (%d latent frames, %,d DiT tokens), %s weights, offload %s, "
                        + "guidance %s, attention %s, VAE %s%n", s.family().displayName(), s.width(), s.height(), s.frames(),
                s.latentFrames(), s.tokens(), s.dtype().code(), s.offload().id(), s.batchGuidance() ? "batched (B=2)" : "one by one (B=1)",
                s.fusedAttention() ? "fused" : "chunked", s.tiling() == null ? "whole frames"
                        : "tiles of " + s.tiling().tileWidth() * s.vae().spatialFactor() + " px"));
        b.append(String.format(Locale.ROOT, "%-8s %12s %14s %12s %12s%n", "stage", "weights", "activations", "device", "host"));
        for (Stage st : stages)
            b.append(String.format(Locale.ROOT, "%-8s %12s %14s %12s %12s%n", st.name(), gb(st.deviceWeights()),
                    gb(st.deviceActivations()), gb(st.devicePeak()), gb(st.hostBytes())));
        b.append(String.format(Locale.ROOT, "peak     %12s %14s %12s %12s%n", "", "", gb(devicePeak()), gb(hostPeak())));
        for (long size : deviceSizes)
            b.append(String.format(Locale.ROOT, "%s device: %s%n", gb(size), fits(size) ? "fits" : "does not fit"));
        return b.toString();
    }

    public static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
