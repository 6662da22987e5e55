package dev.zoetrope.models.vae;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.progress.GenerationCancelledException;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.CheckpointLoader;
import dev.zoetrope.models.nn.Init;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;

/**
 * The Wan 2.1 causal 3D VAE: video (B, 3, 4n+1, H, W) in [−1, 1] ↔ latent (B, z, n+1, H/8, W/8).
 *
 * <p>Encoding runs the first frame alone, then chunks of 4; decoding runs one latent frame at a time.
 * Every causal conv carries the last two frames of its input from chunk to chunk, which makes the
 * chunked result equal to a whole-clip pass ({@link #encodeWhole}, {@link #decodeWhole}) while only one
 * chunk's activations are alive. Weights are float32; inputs of other dtypes are converted.
 */
public final class WanVae implements AutoCloseable {
    private static final BooleanSupplier NEVER_CANCELLED = () -> false;

    private final WanVaeConfig config;
    private final VaeLayout layout;
    private final LatentScale latentNormalization;
    private final Params params;
    private final ConvMeter meter = new ConvMeter();
    private final Encoder3d encoder;
    private final CausalConv3d conv1;
    private final CausalConv3d conv2;
    private final Decoder3d decoder;

    private WanVae(WanVaeConfig config, VaeLayout layout, LatentScale norm, Params params) {
        this.config = config;
        this.layout = layout;
        this.latentNormalization = norm;
        this.params = params;
        TimeCache.Slots none = new TimeCache.Slots();
        int z = config.zDim();
        this.encoder = new Encoder3d(params, config, meter);
        this.conv1 = CausalConv3d.k1(params, "conv1", 2 * z, 2 * z, none, meter);
        this.conv2 = CausalConv3d.k1(params, "conv2", z, z, none, meter);
        this.decoder = new Decoder3d(params, config, meter);
    }

    /**
     * Loads a VAE from a safetensors file, a directory holding one (plus an optional {@code config.json}), or a
     * model directory with a {@code vae/} folder, through the {@link CheckpointLoader}: the key layout (original
     * Wan or Diffusers) is detected, weights are read as float32, and without a config the dims are inferred from
     * the weight shapes. Tensors the config does not use are refused.
     */
    public static WanVae load(Path path) {
        return load(path, (org.bytedeco.pytorch.Device) null);
    }

    /** {@link #load(Path)} onto {@code device}, tensor by tensor (null: the CPU). */
    public static WanVae load(Path path, org.bytedeco.pytorch.Device device) {
        return load(path, device, DType.F32);
    }

    /**
     * {@link #load(Path, org.bytedeco.pytorch.Device)} with the weights in {@code compute} (f32, bf16 or f64): the
     * convolutions run in that dtype. bf16 halves the weights and activations and uses the CPU's bf16 dot products;
     * docs/performance.md has its error against a float64 decode.
     */
    public static WanVae load(Path path, org.bytedeco.pytorch.Device device, DType compute) {
        Path p = Files.isDirectory(path) && Files.isDirectory(path.resolve("vae")) ? path.resolve("vae") : path;
        Path configJson = Files.isDirectory(p) && Files.isRegularFile(p.resolve("config.json")) ? p.resolve("config.json") : null;
        return load(p, configJson == null ? null : Json.readTree(configJson), String.valueOf(configJson), device, compute);
    }

    /**
     * Loads the VAE weights at {@code path} with a config already parsed ({@code settings}: the architecture and,
     * for Diffusers, the latent statistics), or with the dims inferred from the weights when it is null.
     *
     * @param source names the config in errors
     */
    public static WanVae load(Path p, JsonNode settings, String source) {
        return load(p, settings, source, null);
    }

    /** {@link #load(Path, JsonNode, String)} onto {@code device}, tensor by tensor (null: the CPU). */
    public static WanVae load(Path p, JsonNode settings, String source, org.bytedeco.pytorch.Device device) {
        return load(p, settings, source, device, DType.F32);
    }

    /** {@link #load(Path, JsonNode, String, org.bytedeco.pytorch.Device)} computing in {@code compute} (f32, bf16 or f64). */
    public static WanVae load(Path p, JsonNode settings, String source, org.bytedeco.pytorch.Device device, DType compute) {
        if (compute != DType.F32 && compute != DType.BF16 && compute != DType.F64)
            throw new IllegalArgumentException("a VAE computes in f32, bf16 or f64, not " + compute);
        return CheckpointLoader.load(p, recipe(settings, source, device, compute));
    }

    /** {@link #load(Path, JsonNode, String)} over shape-only tensors, nothing read (see {@link CheckpointLoader#plan}). */
    public static WanVae plan(Weights weights, JsonNode settings, String source) {
        return CheckpointLoader.plan(weights, recipe(settings, source, null, DType.F32));
    }

    private static CheckpointLoader.Recipe<WanVae> recipe(JsonNode settings, String source, org.bytedeco.pytorch.Device device,
                                                          DType compute) {
        return new CheckpointLoader.Recipe<>() {
            @Override
            public org.bytedeco.pytorch.Device device() {
                return device;
            }

            private VaeLayout layout;
            private WanVaeConfig config;

            @Override
            public KeyLayout layout(Weights w) {
                layout = VaeLayout.detect(w);
                KeyLayout probe = layout.keys(WanVaeConfig.wan21());
                config = settings != null ? WanVaeConfig.fromJson(settings, source)
                        : WanVaeConfig.infer(k -> w.info(probe.fileKey(k)).map(TensorInfo::shape).orElse(null));
                return layout.keys(config);
            }

            @Override
            public DType cast(Weights w, KeyLayout keys) {
                return compute;
            }

            @Override
            public WanVae build(Weights w, KeyLayout keys, Params params) {
                LatentScale norm = settings != null ? LatentScale.fromConfig(settings, source) : null;
                if (norm == null && config.zDim() == LatentScale.wan21().channels()) norm = LatentScale.wan21();
                if (norm != null && norm.channels() != config.zDim())
                    throw new ModelLoadException(source + ": latents_mean/latents_std have " + norm.channels()
                            + " values, the VAE has " + config.zDim() + " latent channels");
                return new WanVae(config, layout, norm, params);
            }
        };
    }

    /** A VAE over given parameters (original key names), e.g. a training run's weights; it owns them. */
    public static WanVae of(WanVaeConfig config, Params params) {
        Engine.init();
        LatentScale norm = config.zDim() == LatentScale.wan21().channels() ? LatentScale.wan21() : null;
        try {
            return Scopes.value(() -> new WanVae(config, VaeLayout.ORIGINAL, norm, params));
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /** Random float32 weights at {@code config}'s dims: kernels N(0, 1/fan_in), biases 0, gains 1. */
    public static WanVae random(WanVaeConfig config, long seed) {
        return random(config, seed, null);
    }

    /** {@link #random(WanVaeConfig, long)} with every weight placed on {@code device} (null: the CPU). */
    public static WanVae random(WanVaeConfig config, long seed, org.bytedeco.pytorch.Device device) {
        return random(config, seed, device, DType.F32);
    }

    /** {@link #random(WanVaeConfig, long, org.bytedeco.pytorch.Device)} computing in {@code compute}: the same weights, rounded to it. */
    public static WanVae random(WanVaeConfig config, long seed, org.bytedeco.pytorch.Device device, DType compute) {
        return of(config, Params.fresh(Init.vae(), seed, compute, false, device));
    }

    /** {@link #random} weights that require grad, for training from scratch. */
    public static WanVae trainable(WanVaeConfig config, long seed) {
        return trainable(config, seed, null);
    }

    /** {@link #trainable(WanVaeConfig, long)} on {@code device} (null: the CPU), the same weights on every device. */
    public static WanVae trainable(WanVaeConfig config, long seed, org.bytedeco.pytorch.Device device) {
        return of(config, Params.fresh(Init.vae(), seed, DType.F32, true, device));
    }

    /** A VAE of {@code config} with its weights on libtorch's {@code meta} device (shapes and dtypes, no data). */
    public static WanVae onMeta(WanVaeConfig config) {
        return of(config, Params.shapesOnly());
    }

    /** Bytes a VAE of {@code config} holds on its device (float32). */
    public static long weightBytes(WanVaeConfig config) {
        try (WanVae m = onMeta(config)) {
            return m.params.residentBytes();
        }
    }

    /**
     * Elements of the largest convolution output while decoding a latent of {@code latentHeight}×{@code latentWidth}
     * (a first frame, then one full frame group): the unit of the decode's activation memory. Shapes only, on meta.
     */
    public static long largestDecodeOutput(WanVaeConfig config, int latentHeight, int latentWidth) {
        try (WanVae vae = onMeta(config); PointerScope scope = new PointerScope()) {
            Tensor z = torch.empty(new long[]{1, config.zDim(), 2, latentHeight, latentWidth},
                    new org.bytedeco.pytorch.TensorOptions(new org.bytedeco.pytorch.Device("meta")), new org.bytedeco.pytorch.MemoryFormatOptional());
            vae.decode(z, null, (frames, first) -> {}, NEVER_CANCELLED);
            return vae.meter.largestOutput();
        }
    }

    /** Every parameter of a VAE of {@code config}, in declaration order: the module tree's own inventory. */
    public static List<Params.Declared> declared(WanVaeConfig config) {
        try (WanVae shapes = of(config, Params.shapesOnly())) {
            return shapes.params.declared();
        }
    }

    public WanVaeConfig config() {
        return config;
    }

    public VaeLayout layout() {
        return layout;
    }

    /**
     * Wan's latent mean/std: from the Diffusers config when present, else the published Wan 2.1 values
     * (empty when the latent is not 16 channels and no config gives them).
     */
    public Optional<LatentScale> latentNormalization() {
        return Optional.ofNullable(latentNormalization);
    }

    /** The parameters by original key name (for conversion and inspection). */
    public Params params() {
        return params;
    }

    /** Video frames a latent of {@code latentFrames} frames decodes to: 4(n−1)+1. */
    public int videoFrames(int latentFrames) {
        return firstFrame(latentFrames);
    }

    /** Latent shape for a video of {@code frames} (4n+1) × {@code height} × {@code width}. */
    public long[] latentShape(long batch, long frames, long height, long width) {
        int s = config.spatialFactor(), t = config.temporalFactor();
        return new long[]{batch, config.zDim(), (frames - 1) / t + 1, height / s, width / s};
    }

    // ---- encode ------------------------------------------------------------------------------------

    /** The posterior mean μ of {@code video} (B, 3, 4n+1, H, W), chunked: frame 0, then 4 at a time. */
    public Tensor encode(Tensor video) {
        checkVideo(video);
        return Scopes.keep(() -> {
            Tensor x = video.to(compute());
            long frames = x.size(2);
            int step = config.temporalFactor();
            List<Tensor> parts = new ArrayList<>();
            try (TimeCache cache = new TimeCache(encoder.cacheSlots())) {
                for (long start = 0; start < frames; start += start == 0 ? 1 : step) {
                    long s = start, n = start == 0 ? 1 : step;
                    parts.add(Scopes.keep(() -> encoder.forward(x.narrow(2, s, n), cache)));
                }
            }
            return mean(torch.cat(new TensorVector(parts.toArray(Tensor[]::new)), 2)).to(ScalarType.Float);
        });
    }

    /** The same as {@link #encode} in one pass over the whole clip (all activations at once). */
    public Tensor encodeWhole(Tensor video) {
        checkVideo(video);
        return Scopes.keep(() -> mean(encoder.forward(video.to(compute()), null)).to(ScalarType.Float));
    }

    /**
     * The dtype the convolutions compute in: the weights' (float32 unless loaded otherwise, see
     * {@link #load(Path, org.bytedeco.pytorch.Device, DType)}). Inputs are cast to it; what the VAE returns is float32.
     */
    public ScalarType compute() {
        return conv2.weightType();
    }

    /** {@code t} on the device the weights live on (itself when it is there already): clips are made on the host. */
    public Tensor onDevice(Tensor t) {
        return Ops.toDeviceOf(t, params.tensor("conv1.weight"));
    }

    /** The posterior of a VAE: mean and log-variance of the latent, each (B, z, F', H', W'). */
    public record Posterior(Tensor mean, Tensor logVariance) {}

    /**
     * The whole-clip posterior (μ, log σ²) in one differentiable pass: what training needs (the KL term
     * uses log σ²); inference uses {@link #encode}.
     */
    public Posterior posterior(Tensor video) {
        checkVideo(video);
        Tensor h = conv1.forward(encoder.forward(video.to(compute()), null), null).to(ScalarType.Float);
        return new Posterior(h.narrow(1, 0, config.zDim()), h.narrow(1, config.zDim(), config.zDim()));
    }

    /** Decodes in one differentiable pass (no caching, no streaming): for training. */
    public Tensor reconstruct(Tensor z) {
        checkLatent(z);
        return decoder.forward(conv2.forward(z, null), null);
    }

    private Tensor mean(Tensor h) {
        return conv1.forward(h, null).narrow(1, 0, config.zDim()).contiguous();
    }

    // ---- decode ------------------------------------------------------------------------------------

    /**
     * Decodes latent frame by latent frame, handing each piece of video to {@code sink} as soon as it is
     * ready (1 frame, then {@code temporalFactor} frames per latent frame). Only one latent frame's
     * activations and the small time caches are alive at any moment.
     */
    public void decode(Tensor z, FrameSink sink) {
        decode(z, null, sink, NEVER_CANCELLED);
    }

    private void stream(Tensor z, FrameSink sink, BooleanSupplier cancelled) {
        try (PointerScope scope = new PointerScope(); TimeCache cache = new TimeCache(decoder.cacheSlots())) {
            Tensor x = conv2.forward(z.to(compute()), null);
            for (int i = 0; i < x.size(2); i++) {
                int frame = i;
                throwIfCancelled(cancelled);
                Scopes.run(() -> sink.accept(decoder.forward(x.narrow(2, frame, 1), cache).to(ScalarType.Float), firstFrame(frame)));
            }
        }
    }

    /** Decodes the whole clip frame by frame into one (B, 3, T, H, W) tensor. */
    public Tensor decode(Tensor z) {
        return decode(z, (SpatialTiling) null);
    }

    /** Decodes into one tensor; with {@code tiling} (may be null) in overlapping spatial tiles. */
    public Tensor decode(Tensor z, SpatialTiling tiling) {
        checkLatent(z);
        long[] shape = videoShape(z);
        return Scopes.keep(() -> {
            Tensor out = torch.empty(shape, new org.bytedeco.pytorch.TensorOptions(z.device()).dtype(
                            new org.bytedeco.pytorch.ScalarTypeOptional(ScalarType.Float)),
                    new org.bytedeco.pytorch.MemoryFormatOptional());
            decode(z, tiling, (frames, first) -> out.narrow(2, first, frames.size(2)).copy_(frames));
            return out;
        });
    }

    /**
     * Like {@link #decode(Tensor, FrameSink)}, but in overlapping spatial tiles blended with linear ramps:
     * activations and time caches are bounded by the tile size, not the frame size, at the price of one
     * float32 buffer for the whole clip (the sink is called once all tiles are done). {@code tiling} null,
     * or a latent no larger than one tile: the plain streaming decode.
     */
    public void decode(Tensor z, SpatialTiling tiling, FrameSink sink) {
        decode(z, tiling, sink, NEVER_CANCELLED);
    }

    /**
     * {@link #decode(Tensor, SpatialTiling, FrameSink)} that asks {@code cancelled} before each latent frame (of each
     * tile, when tiled), so a cancel waits for one tile's latent frame at most, not for the whole decode.
     *
     * @throws GenerationCancelledException when {@code cancelled} says so; the sink gets nothing more
     */
    public void decode(Tensor z, SpatialTiling tiling, FrameSink sink, BooleanSupplier cancelled) {
        checkLatent(z);
        if (tiling == null || !tiling.splits(z.size(3), z.size(4))) stream(z, sink, cancelled);
        else new TiledDecode(z, tiling).run(sink, cancelled);
    }

    private static void throwIfCancelled(BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) throw new GenerationCancelledException();
    }

    /** One pass over the whole latent (all activations at once); equal to {@link #decode}. */
    public Tensor decodeWhole(Tensor z) {
        checkLatent(z);
        return Scopes.keep(() -> decoder.forward(conv2.forward(z.to(compute()), null), null).to(ScalarType.Float));
    }

    private int firstFrame(int latentFrame) {
        return latentFrame == 0 ? 0 : 1 + config.temporalFactor() * (latentFrame - 1);
    }

    private long[] videoShape(Tensor z) {
        int s = config.spatialFactor();
        return new long[]{z.size(0), 3, firstFrame((int) z.size(2)), z.size(3) * s, z.size(4) * s};
    }

    /** Per-tile caches and blend weights over a decode in tiles. */
    private final class TiledDecode {
        private final Tensor z;
        private final List<int[]> tiles = new ArrayList<>();
        private final int tileH, tileW, ramp;

        TiledDecode(Tensor z, SpatialTiling tiling) {
            this.z = z;
            SpatialTiling.Axis rows = SpatialTiling.axis((int) z.size(3), tiling.tileHeight(), tiling.overlap());
            SpatialTiling.Axis cols = SpatialTiling.axis((int) z.size(4), tiling.tileWidth(), tiling.overlap());
            tileH = rows.length();
            tileW = cols.length();
            ramp = tiling.overlap() * config.spatialFactor();
            for (int y : rows.starts())
                for (int x : cols.starts()) tiles.add(new int[]{y, x});
        }

        /**
         * Tile-major: each tile runs over all latent frames with its own time cache, which is freed before
         * the next tile starts, and is blended into one clip buffer. Time caches at 720p are gigabytes for a
         * whole frame, so keeping every tile's cache alive for a frame-major order would defeat tiling.
         */
        void run(FrameSink sink, BooleanSupplier cancelled) {
            int s = config.spatialFactor();
            long[] shape = videoShape(z);
            try (PointerScope scope = new PointerScope()) {
                Tensor x = conv2.forward(z.to(compute()), null);
                // the blend buffers live where the activations do, in float32 whatever the weights' dtype
                org.bytedeco.pytorch.TensorOptions f32 = new org.bytedeco.pytorch.TensorOptions(x.device())
                        .dtype(new org.bytedeco.pytorch.ScalarTypeOptional(ScalarType.Float));
                Tensor out = torch.zeros(shape, f32);
                Tensor weightSum = torch.zeros(new long[]{1, 1, 1, shape[3], shape[4]}, f32);
                for (int[] t : tiles) {
                    Tensor wy = Tensors.fromFloats(SpatialTiling.ramp(tileH * s, ramp, t[0] > 0, t[0] + tileH < z.size(3)),
                            1, 1, 1, (long) tileH * s, 1);
                    Tensor wx = Tensors.fromFloats(SpatialTiling.ramp(tileW * s, ramp, t[1] > 0, t[1] + tileW < z.size(4)),
                            1, 1, 1, 1, (long) tileW * s);
                    Tensor wt = Ops.toDeviceOf(wy.mul(wx), x);
                    region(weightSum, t).add_(wt);
                    Tensor latent = x.narrow(3, t[0], tileH).narrow(4, t[1], tileW);
                    try (TimeCache cache = new TimeCache(decoder.cacheSlots())) {
                        for (int i = 0; i < x.size(2); i++) {
                            int frame = i;
                            throwIfCancelled(cancelled);
                            Scopes.run(() -> {
                                Tensor piece = decoder.forward(latent.narrow(2, frame, 1), cache).to(ScalarType.Float);
                                region(out.narrow(2, firstFrame(frame), piece.size(2)), t).add_(piece.mul_(wt));
                            });
                        }
                    }
                }
                out.div_(weightSum);
                for (int i = 0; i < x.size(2); i++) {
                    int first = firstFrame(i), n = i == 0 ? 1 : config.temporalFactor();
                    Scopes.run(() -> sink.accept(out.narrow(2, first, n), first));
                }
            }
        }

        private Tensor region(Tensor full, int[] t) {
            int s = config.spatialFactor();
            return full.narrow(3, (long) t[0] * s, (long) tileH * s).narrow(4, (long) t[1] * s, (long) tileW * s);
        }
    }

    // ---- checks ------------------------------------------------------------------------------------

    private void checkVideo(Tensor v) {
        long[] s = Tensors.shape(v);
        int sf = config.spatialFactor(), tf = config.temporalFactor();
        if (s.length != 5)
            throw new IllegalArgumentException("VAE encode needs a (B, 3, T, H, W) video, got shape " + Arrays.toString(s));
        if (s[1] != 3)
            throw new IllegalArgumentException("VAE encode needs 3 colour channels, got " + s[1] + " (shape " + Arrays.toString(s) + ")");
        if (s[2] < 1 || (s[2] - 1) % tf != 0)
            throw new IllegalArgumentException("VAE encode needs " + tf + "n+1 frames (1, " + (tf + 1) + ", " + (2 * tf + 1)
                    + ", ...), got " + s[2]);
        if (s[3] < sf || s[4] < sf || s[3] % sf != 0 || s[4] % sf != 0)
            throw new IllegalArgumentException("VAE encode needs height and width that are multiples of " + sf + ", got "
                    + s[3] + "x" + s[4]);
    }

    private void checkLatent(Tensor z) {
        long[] s = Tensors.shape(z);
        if (s.length != 5 || s[1] != config.zDim() || s[2] < 1 || s[3] < 1 || s[4] < 1)
            throw new IllegalArgumentException("VAE decode needs a (B, " + config.zDim() + ", T, h, w) latent, got shape "
                    + Arrays.toString(s));
    }

    int decoderCacheSlots() {
        return decoder.cacheSlots();
    }

    /** The convolution meter of this VAE's passes; public for benchmarks measuring their FLOPs. */
    public ConvMeter meter() {
        return meter;
    }

    @Override
    public void close() {
        params.close();
    }
}
