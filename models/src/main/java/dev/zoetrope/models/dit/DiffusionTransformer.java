package dev.zoetrope.models.dit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.Adapters;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.CheckpointLoader;
import dev.zoetrope.models.nn.Init;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.LayerNorm;
import dev.zoetrope.models.nn.Linear;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.nn.Role;
import dev.zoetrope.models.nn.ScalarTypes;
import dev.zoetrope.models.sampling.StepCache;

/**
 * The Wan-style diffusion transformer of Linum v2 and Wan 2.1: latent video, timestep and text states in,
 * flow-matching velocity out. The two families differ only by {@link DitConfig}.
 *
 * <p>Precision: Linear and Conv weights stay in the checkpoint's dtype (the compute dtype, bf16 or float32);
 * the residual stream, norms, modulation, time embedding and q/k RMSNorm are float32, RoPE is float64.
 */
public final class DiffusionTransformer implements AutoCloseable {
    private final DitConfig config;
    private final Params params;
    private final DitKeyLayout layout;
    private final DType computeDtype;
    private final Attention attention;
    private final Attention.Options attentionOptions;
    /** Where the blocks compute when their weights stay on the host (sequential offload); null: the CPU. */
    private final org.bytedeco.pytorch.Device streamTo;
    private final boolean streamedBlocks;

    private final Linear patchEmbedding, timeIn, timeOut, timeProjection, textIn, textOut, headLinear;
    private final LayerNorm headNorm;
    private final Tensor headModulation;
    private final List<DitBlock> blocks;
    private final float[] videoDataScale, videoDataBias;

    private DiffusionTransformer(DitConfig c, Params p, DitKeyLayout layout, DType computeDtype,
                                 Attention.Options attentionOptions, float[] videoDataScale, float[] videoDataBias) {
        this(c, p, layout, computeDtype, attentionOptions, videoDataScale, videoDataBias, false, null);
    }

    private DiffusionTransformer(DitConfig c, Params p, DitKeyLayout layout, DType computeDtype,
                                 Attention.Options attentionOptions, float[] videoDataScale, float[] videoDataBias,
                                 boolean streamedBlocks, org.bytedeco.pytorch.Device streamTo) {
        this.config = c;
        this.streamedBlocks = streamedBlocks;
        this.streamTo = streamTo;
        this.params = p;
        this.layout = layout;
        this.computeDtype = computeDtype;
        this.attention = new Attention(attentionOptions);
        this.attentionOptions = attentionOptions;
        this.videoDataScale = videoDataScale;
        this.videoDataBias = videoDataBias;
        long dim = c.dim();
        DitConfig.PatchSize ps = c.patchSize();
        Tensor conv = p.get("patch_embedding.weight", Role.WEIGHT, dim, c.inDim(), ps.t(), ps.h(), ps.w());
        // a stride = kernel Conv3d is a Linear over flattened (c, pt, ph, pw) patches
        Tensor convBias = p.get("patch_embedding.bias", Role.BIAS, dim);
        patchEmbedding = new Linear(p.derived(conv.view(dim, (long) c.inDim() * ps.volume())),
                ScalarTypes.same(convBias, conv) ? convBias : p.derived(convBias.to(ScalarTypes.of(conv))));
        timeIn = float32Linear(p, "time_embedding.0", dim, c.freqDim());
        timeOut = float32Linear(p, "time_embedding.2", dim, dim);
        timeProjection = float32Linear(p, "time_projection.1", 6 * dim, dim);
        textIn = Linear.load(p, "text_embedding.0", dim, c.textDim(), c.textEmbeddingBias());
        textOut = Linear.load(p, "text_embedding.2", dim, dim, c.textEmbeddingBias());
        List<DitBlock> bs = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) bs.add(new DitBlock(p, c, i));
        blocks = List.copyOf(bs);
        headNorm = LayerNorm.load(p, "head.norm", dim, c.affineModulatedNorms(), c.layerNormEps());
        headLinear = Linear.load(p, "head.head", (long) c.outDim() * ps.volume(), dim, true);
        headModulation = LayerNorm.float32(p, "head.modulation", Role.TABLE, 1, 2, dim);
    }

    // ---------------------------------------------------------------- loading

    /** The model-key prefix of the transformer blocks' parameters. */
    private static final String BLOCKS = "blocks.";

    /** Loads a checkpoint with the layout detected and the config inferred; see {@link #load(Path, DitLoadOptions)}. */
    public static DiffusionTransformer load(Path path) {
        return load(path, DitLoadOptions.defaults());
    }

    /**
     * Loads a DiT checkpoint: a safetensors file, a sharded index, or a directory (a Diffusers model directory's
     * {@code transformer/} is used when present), through the {@link CheckpointLoader}. The key layout (Linum, Wan
     * original, Wan Diffusers) is detected from the keys. The config is {@code options.config()} if given, else
     * inferred from the weight shapes ({@link DitConfig#infer}) with {@code options.overrides()} or a
     * {@code config.json} next to the weights applied on top. Every tensor is read and shape-checked now, and
     * tensors the model does not use are refused, so a wrong checkpoint fails here, naming the tensor.
     *
     * @throws ModelLoadException for a missing, misshapen or unused tensor, or a checkpoint mixing bf16 and
     *                            float32 weight matrices when no cast dtype is requested
     */
    public static DiffusionTransformer load(Path path, DitLoadOptions options) {
        Path source = weightsPath(path);
        return CheckpointLoader.load(source, recipe(source, options));
    }

    /**
     * The model over {@code weights} with shape-only tensors, every load-time check done and nothing read: its
     * {@link #params()} {@link Params#read read} one tensor at a time (conversion). The caller keeps {@code weights} open.
     */
    public static DiffusionTransformer plan(Weights weights, DitLoadOptions options) {
        return CheckpointLoader.plan(weights, recipe(weights.source(), options));
    }

    /** How a DiT checkpoint becomes a model: its layout, dtype policy and config. */
    private static CheckpointLoader.Recipe<DiffusionTransformer> recipe(Path source, DitLoadOptions options) {
        return new CheckpointLoader.Recipe<>() {
            private DitKeyLayout layout;
            private DType compute;
            private final Lora.Stack loras = options.loras().isEmpty() ? null : new Lora.Stack(options.loras(), options.loraLenient());

            @Override
            public Tensor adjust(String key, Tensor read) {
                return loras == null ? read : loras.adjust(key, read);
            }

            @Override
            public KeyLayout layout(Weights w) {
                DitKeyLayout.Detected found = DitKeyLayout.find(w);
                layout = found.layout();
                return found.keys();
            }

            @Override
            public org.bytedeco.pytorch.Device device() {
                return options.device();
            }

            @Override
            public java.util.function.Predicate<String> keptOnHost() {
                return options.streamBlocks() ? key -> key.startsWith(BLOCKS) : key -> false;
            }

            @Override
            public DType cast(Weights w, KeyLayout layout) {
                if (options.cast() != null) return compute = CheckpointLoader.requireFloating(options.cast());
                compute = matrixDtype(w, layout);
                // fp8 weights (and the wider ones beside them) all arrive in the compute dtype; others as stored
                return anyFloat8(w, layout) ? compute : null;
            }

            @Override
            public DiffusionTransformer build(Weights w, KeyLayout keys, Params p) {
                DitConfig config = options.config();
                if (config == null) {
                    JsonNode overrides = options.overrides() != null ? options.overrides() : configBeside(source);
                    config = DitConfig.infer(p, layout.family(), headsIn(overrides)).withOverrides(overrides);
                }
                float[] scale = null, bias = null;
                if (w.contains("video_data_scale") && w.contains("video_data_bias")) {
                    scale = readVector(w, "video_data_scale", config.inDim());
                    bias = readVector(w, "video_data_bias", config.inDim());
                }
                DiffusionTransformer model = new DiffusionTransformer(config, p, layout, compute, options.attention(), scale, bias,
                        options.streamBlocks(), options.device());
                if (loras != null) {
                    try (Lora.Stack merged = loras) {
                        merged.requireAllMatched();
                    } catch (RuntimeException e) {
                        model.close();
                        throw e;
                    }
                }
                return model;
            }
        };
    }

    /** A model with random weights (normal, std 0.02; unit norms), for benchmarks and end-to-end tests. */
    public static DiffusionTransformer random(DitConfig config, DType dtype, long seed, Attention.Options attention) {
        return random(config, dtype, seed, attention, null);
    }

    /** {@link #random(DitConfig, DType, long, Attention.Options)} with every weight placed on {@code device} (null: the CPU). */
    public static DiffusionTransformer random(DitConfig config, DType dtype, long seed, Attention.Options attention,
                                             org.bytedeco.pytorch.Device device) {
        return fresh(config, Params.fresh(Init.dit(), seed, dtype, false, device), dtype, attention);
    }

    /**
     * Fresh float32 weights (as {@link #random}) that require grad, for training from scratch. The
     * gradients reach {@link #parameters()}: they require grad before any view of them is taken.
     */
    public static DiffusionTransformer trainable(DitConfig config, long seed, Attention.Options attention) {
        return trainable(config, seed, attention, null);
    }

    /** {@link #trainable(DitConfig, long, Attention.Options)} on {@code device} (null: the CPU), the same weights on every device. */
    public static DiffusionTransformer trainable(DitConfig config, long seed, Attention.Options attention,
                                                 org.bytedeco.pytorch.Device device) {
        return fresh(config, Params.fresh(Init.dit(), seed, DType.F32, true, device), DType.F32, attention);
    }

    /**
     * A model of {@code config} whose weights live on libtorch's {@code meta} device (shapes and dtypes, no data): a
     * forward at any size costs nothing and fails where a tensor is made on another device than the weights'.
     */
    public static DiffusionTransformer onMeta(DitConfig config, DType dtype) {
        return fresh(config, Params.shapesOnly(dtype), dtype, Attention.Options.defaults());
    }

    /** Every parameter of a model of {@code config}, in declaration order: the module tree's own inventory. */
    public static List<Params.Declared> declared(DitConfig config) {
        try (DiffusionTransformer shapes = fresh(config, Params.shapesOnly(), DType.F32, Attention.Options.defaults())) {
            return shapes.params.declared();
        }
    }

    /** Bytes a model of {@code config} holds on its device with its weights in {@code dtype} (float32 norms and tables included). */
    public static long weightBytes(DitConfig config, DType dtype) {
        try (DiffusionTransformer m = onMeta(config, dtype)) {
            return m.params.residentBytes();
        }
    }

    /** Bytes of one block's weights in {@code dtype}: what sequential offload brings to the device at a time. */
    public static long blockWeightBytes(DitConfig config, DType dtype) {
        try (Params p = Params.shapesOnly(dtype)) {
            Scopes.run(() -> new DitBlock(p, config, 0));
            return p.residentBytes();
        }
    }

    private static DiffusionTransformer fresh(DitConfig config, Params p, DType dtype, Attention.Options attention) {
        try {
            return Scopes.value(() -> new DiffusionTransformer(config, p, null, dtype, attention, null, null));
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /**
     * A model over given parameters by model key, e.g. a training run's EMA weights; the compute dtype is that of
     * {@code patch_embedding.weight}. It owns and closes {@code params}.
     */
    public static DiffusionTransformer fromParams(DitConfig config, Params params, Attention.Options attention) {
        Engine.init();
        try {
            DType compute = Tensors.dtype(params.tensor("patch_embedding.weight"));
            return Scopes.value(() -> new DiffusionTransformer(config, params, null, compute, attention, null, null));
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /**
     * This model with low-rank adapters on its Linears, applied on the fly (LoRA training, per-request adapters): a new
     * module tree over views of the same weights, which stay untouched and shared. Closing it frees only the views.
     */
    public DiffusionTransformer adapted(Adapters adapters) {
        Params view = params.view().withAdapters(adapters);
        try {
            return Scopes.value(() -> new DiffusionTransformer(config, view, layout, computeDtype, attentionOptions, videoDataScale,
                    videoDataBias, streamedBlocks, streamTo));
        } catch (RuntimeException e) {
            view.close();
            throw e;
        }
    }

    private static Path weightsPath(Path path) {
        if (Files.isDirectory(path) && Files.isDirectory(path.resolve("transformer"))) return path.resolve("transformer");
        return path;
    }

    private static JsonNode configBeside(Path source) {
        Path dir = Files.isDirectory(source) ? source : source.toAbsolutePath().getParent();
        Path cfg = dir == null ? null : dir.resolve("config.json");
        return cfg != null && Files.isRegularFile(cfg) ? dev.zoetrope.core.config.Json.readTree(cfg) : null;
    }

    private static Integer headsIn(JsonNode n) {
        if (n == null) return null;
        if (n.hasNonNull("num_heads")) return n.get("num_heads").asInt();
        if (n.hasNonNull("num_attention_heads")) return n.get("num_attention_heads").asInt();
        return null;
    }

    private static boolean anyFloat8(Weights w, KeyLayout layout) {
        return w.names().stream().anyMatch(n -> layout.covers(n) && w.info(n).orElseThrow().dtype().isFloat8());
    }

    /** The one dtype of the stored weight matrices (Linear and Conv weights), which becomes the compute dtype. */
    static DType matrixDtype(Weights w, KeyLayout layout) {
        // fp8 matrices dequantize to whatever the others compute in (fp8 files keep a few layers wider), else bf16
        DType d = CheckpointLoader.uniformDtype(w, layout, (name, info) -> name.endsWith(".weight") && info.shape().length >= 2
                && !info.dtype().isFloat8(), "weight matrices");
        if (d != null) return d;
        return anyFloat8(w, layout) ? DType.BF16 : DType.F32;
    }

    private static float[] readVector(Weights w, String name, int length) {
        TensorInfo info = w.info(name).orElseThrow();
        if (info.shape().length != 1 || info.shape()[0] != length)
            throw new ModelLoadException("tensor '" + name + "' in " + w.source() + " has shape " + Arrays.toString(info.shape())
                    + ", the model expects [" + length + "]");
        return Scopes.value(() -> Tensors.toFloats(w.load(name)));
    }

    private static Linear float32Linear(Params p, String name, long out, long in) {
        return new Linear(LayerNorm.float32(p, name + ".weight", Role.WEIGHT, out, in), LayerNorm.float32(p, name + ".bias", Role.BIAS, out));
    }

    // ---------------------------------------------------------------- forward

    /**
     * The velocity for latents {@code x} (B, C, F, H, W) at timesteps {@code t} (B) given each sample's text
     * states ({@code text.get(b)} is (L_b, text_dim) with L_b ≤ text_len).
     *
     * @param frameLens null, or per sample the number of real latent frames (Linum's frame mask); the velocity
     *                  of the other frames is 0. Families without a frame mask accept only full lengths.
     * @return float32 (B, C_out, F, H, W), owned by the caller's scope
     */
    public Tensor forward(Tensor x, Tensor t, List<Tensor> text, long[] frameLens) {
        return forward(x, t, text, frameLens, null);
    }

    /**
     * {@link #forward(Tensor, Tensor, List, long[])} where {@code cache} (null: none) may skip the blocks and reuse what
     * they added at the last computed step of the same sampling run.
     */
    public Tensor forward(Tensor x, Tensor t, List<Tensor> text, long[] frameLens, StepCache cache) {
        Input in = Input.check(config, x, t, text, frameLens);
        return Scopes.keep(() -> run(x, in, text, cache));
    }

    /** {@link #forward} with the timesteps as numbers. */
    public Tensor forward(Tensor x, double[] t, List<Tensor> text, long[] frameLens) {
        return forward(x, t, text, frameLens, null);
    }

    /** {@link #forward(Tensor, Tensor, List, long[], StepCache)} with the timesteps as numbers. */
    public Tensor forward(Tensor x, double[] t, List<Tensor> text, long[] frameLens, StepCache cache) {
        return Scopes.keep(() -> forward(x, Tensors.fromDoubles(t, t.length), text, frameLens, cache));
    }

    /** Checked input sizes: batch, grid (f, h, w) after padding, and per-sample valid token counts (or null). */
    private record Input(int batch, int frames, int height, int width, int f, int h, int w, double[] t, long[] validTokens) {
        static Input check(DitConfig c, Tensor x, Tensor t, List<Tensor> text, long[] frameLens) {
            if (x.dim() != 5 || x.size(1) != c.inDim())
                throw new IllegalArgumentException("latents must be (B, " + c.inDim() + ", F, H, W), not "
                        + Tensors.shapeString(Tensors.shape(x)));
            int b = (int) x.size(0), frames = (int) x.size(2), height = (int) x.size(3), width = (int) x.size(4);
            DitConfig.PatchSize ps = c.patchSize();
            if (frames % ps.t() != 0)
                throw new IllegalArgumentException(frames + " latent frames are not a multiple of the temporal patch " + ps.t());
            double[] times = Tensors.toDoubles(t);
            if (times.length != b) throw new IllegalArgumentException(times.length + " timesteps for a batch of " + b);
            if (text == null || text.size() != b)
                throw new IllegalArgumentException((text == null ? 0 : text.size()) + " text states for a batch of " + b);
            for (int i = 0; i < b; i++) {
                Tensor s = text.get(i);
                if (s.dim() != 2 || s.size(1) != c.textDim())
                    throw new IllegalArgumentException("text states " + i + " must be (L, " + c.textDim() + "), not "
                            + Tensors.shapeString(Tensors.shape(s)));
                if (s.size(0) > c.textLen())
                    throw new IllegalArgumentException("text states " + i + " have " + s.size(0) + " tokens, more than the model's text_len "
                            + c.textLen());
            }
            int f = frames / ps.t(), h = ceilDiv(height, ps.h()), w = ceilDiv(width, ps.w());
            long[] valid = null;
            if (frameLens != null) {
                if (frameLens.length != b) throw new IllegalArgumentException(frameLens.length + " frame lengths for a batch of " + b);
                boolean partial = false;
                for (long n : frameLens) {
                    if (n < 0 || n > f) throw new IllegalArgumentException("frame length " + n + " outside 0.." + f);
                    partial |= n < f;
                }
                if (partial && !c.frameMask())
                    throw new IllegalArgumentException("this " + c.family().id() + " model has no frame mask; frame lengths must be "
                            + f + " (or not given)");
                if (partial) {
                    valid = new long[b];
                    for (int i = 0; i < b; i++) valid[i] = frameLens[i] * h * w;
                }
            }
            return new Input(b, frames, height, width, f, h, w, times, valid);
        }

        long tokens() {
            return (long) f * h * w;
        }
    }

    private Tensor run(Tensor x, Input in, List<Tensor> text, StepCache cache) {
        DitConfig c = config;
        // 1. zero-pad H and W at the bottom/right to a multiple of the patch
        Tensor padded = padToPatch(ScalarTypes.cast(x, ScalarType.Float).contiguous(), in);
        // 2. patch embedding, tokens in (f, h, w) order
        Tensor tokens = patchEmbedding.apply(patchify(padded, in)).to(ScalarType.Float);
        // 3. frame mask: zero the tokens of frames ≥ frame_lens[b]
        Tensor tokenMask = in.validTokens() == null ? null : Ops.toDeviceOf(tokenMask(in), tokens);
        DitTokens ctx0 = new DitTokens(null, null, null, in.validTokens(), tokenMask, attention,
                computeDtype.scalarType(), c.numHeads(), c.headDim());
        tokens = ctx0.maskTokens(tokens);
        // 4. time embedding e, and its projection e0 viewed as (B, 6, dim)
        Tensor e = timeOut.apply(Ops.silu(timeIn.apply(Ops.toDeviceOf(sinusoid(in.t()), tokens))));
        Tensor e0 = timeProjection.apply(Ops.silu(e)).view(in.batch(), 6, c.dim());
        // 5. text embedding of the zero-padded states
        Tensor context = textOut.apply(Ops.geluTanh(textIn.apply(padText(text))));
        Tensor rope = RotaryEmbedding3d.forCompute(RotaryEmbedding3d.table(c.headDim(), in.f(), in.h(), in.w()), computeDtype.scalarType());
        DitTokens ctx = new DitTokens(e0, context, Ops.toDeviceOf(rope, tokens),
                in.validTokens(), tokenMask, attention, computeDtype.scalarType(), c.numHeads(), c.headDim());
        // 6. blocks (each frees its temporaries, and the previous block's output, on return), or what they added at the
        //    last computed step when the step cache finds the first block's modulated input close enough to it
        Tensor input = tokens;
        if (cache != null && cache.reuse(onBlock(0, b -> b.modulatedInput(input, ctx)))) {
            tokens = tokens.add(cache.residual());
        } else {
            try (Scopes.Carried<Tensor> stream = Scopes.carry(tokens)) {
                for (int i = 0; i < blocks.size(); i++) {
                    int index = i;
                    stream.update(h -> onBlock(index, b -> b.forward(h, ctx)));
                }
                tokens = stream.result();
            }
            if (cache != null) cache.store(tokens.sub(input));
        }
        // 7. head: m = head.modulation + e; Linear(LN(x)·(1+m1) + m0), masked; unpatchify; crop
        Tensor m = headModulation.add(e.unsqueeze(1));
        Tensor h = DitBlock.modulate(headNorm.apply(tokens), m.narrow(1, 1, 1), m.narrow(1, 0, 1));
        Tensor out = ctx.maskTokens(headLinear.apply(h)).to(ScalarType.Float);
        return unpatchify(out, in).narrow(3, 0, in.height()).narrow(4, 0, in.width()).contiguous();
    }

    /** {@code use} of block {@code i}; with streamed blocks, its weights are on the device for this call only. */
    private Tensor onBlock(int i, java.util.function.Function<DitBlock, Tensor> use) {
        if (!streamedBlocks) return use.apply(blocks.get(i));
        try (Params onDevice = params.copyTo(BLOCKS + i + ".", streamTo)) {
            return Scopes.keep(() -> use.apply(new DitBlock(onDevice, config, i)));
        }
    }

    /** Whether the blocks' weights live on the host and come to the device one block at a time. */
    public boolean streamsBlocks() {
        return streamedBlocks;
    }

    /** {@code t} on the device the weights live on (itself when it is there already). */
    public Tensor onDevice(Tensor t) {
        return Ops.toDeviceOf(t, headModulation);
    }

    private Tensor padToPatch(Tensor x, Input in) {
        DitConfig.PatchSize ps = config.patchSize();
        long padH = (long) in.h() * ps.h() - in.height(), padW = (long) in.w() * ps.w() - in.width();
        return padH == 0 && padW == 0 ? x : torch.constant_pad_nd(x, 0, padW, 0, padH);
    }

    /** (B, C, F, H, W) → (B, N, C·pt·ph·pw), flattened as the Conv3d weight is. */
    private Tensor patchify(Tensor x, Input in) {
        DitConfig.PatchSize ps = config.patchSize();
        return x.view(in.batch(), config.inDim(), in.f(), ps.t(), in.h(), ps.h(), in.w(), ps.w())
                .permute(0, 2, 4, 6, 1, 3, 5, 7)
                .reshape(in.batch(), in.tokens(), (long) config.inDim() * ps.volume());
    }

    /** (B, N, pt·ph·pw·c) viewed (B, f, h, w, pt, ph, pw, c) → (B, c, f, pt, h, ph, w, pw) → (B, c, F, H, W). */
    private Tensor unpatchify(Tensor out, Input in) {
        DitConfig.PatchSize ps = config.patchSize();
        return out.view(in.batch(), in.f(), in.h(), in.w(), ps.t(), ps.h(), ps.w(), config.outDim())
                .permute(0, 7, 1, 4, 2, 5, 3, 6)
                .reshape(in.batch(), config.outDim(), (long) in.f() * ps.t(), (long) in.h() * ps.h(), (long) in.w() * ps.w());
    }

    private static Tensor tokenMask(Input in) {
        long n = in.tokens();
        float[] mask = new float[Math.toIntExact(in.batch() * n)];
        for (int b = 0; b < in.batch(); b++) Arrays.fill(mask, (int) (b * n), (int) (b * n + in.validTokens()[b]), 1f);
        return Tensors.fromFloats(mask, in.batch(), n, 1);
    }

    /** [cos(t·inv), sin(t·inv)] with inv_i = 10000^(−i/half), computed in float64, returned as float32 (B, freq_dim). */
    private Tensor sinusoid(double[] t) {
        int half = config.freqDim() / 2;
        double[] out = new double[t.length * 2 * half];
        for (int b = 0; b < t.length; b++)
            for (int i = 0; i < half; i++) {
                double angle = t[b] * Math.pow(10000.0, -(double) i / half);
                out[b * 2 * half + i] = Math.cos(angle);
                out[b * 2 * half + half + i] = Math.sin(angle);
            }
        return Tensors.fromDoubles(out, t.length, 2L * half).to(ScalarType.Float);
    }

    /** Each sample's states zero-padded to text_len, stacked: (B, text_len, text_dim) in the compute dtype. */
    private Tensor padText(List<Tensor> text) {
        TensorVector rows = new TensorVector();
        for (Tensor s : text) {
            Tensor states = s.to(computeDtype.scalarType());
            long pad = config.textLen() - s.size(0);
            rows.push_back(pad == 0 ? states : torch.constant_pad_nd(states, 0, 0, 0, pad));
        }
        return torch.stack(rows, 0);
    }

    // ---------------------------------------------------------------- facts

    public DitConfig config() {
        return config;
    }

    /** The dtype of the weight matrices and of the matmuls. */
    public DType computeDtype() {
        return computeDtype;
    }

    /** The key layout the weights were read in; empty for random weights. */
    public Optional<DitKeyLayout> layout() {
        return Optional.ofNullable(layout);
    }

    public Attention attention() {
        return attention;
    }

    /** Linum's latent normalisation scale ({@code video_data_scale}), if the checkpoint has it. */
    public Optional<float[]> videoDataScale() {
        return Optional.ofNullable(videoDataScale).map(float[]::clone);
    }

    /** Linum's latent normalisation bias ({@code video_data_bias}), if the checkpoint has it. */
    public Optional<float[]> videoDataBias() {
        return Optional.ofNullable(videoDataBias).map(float[]::clone);
    }

    /** Weights as loaded, by model key (original Wan names). */
    public Map<String, Tensor> parameters() {
        return params.loaded();
    }

    /** The parameters themselves (for writing them in a layout). */
    public Params params() {
        return params;
    }

    /**
     * FLOPs of one forward (matmuls and attention, multiply-add = 2) for a batch of {@code batch} latents of
     * {@code frames}×{@code height}×{@code width}, every frame valid.
     */
    public static double forwardFlops(DitConfig c, int batch, int frames, int height, int width) {
        DitConfig.PatchSize ps = c.patchSize();
        double n = (double) (frames / ps.t()) * ceilDiv(height, ps.h()) * ceilDiv(width, ps.w());
        double d = c.dim(), l = c.textLen();
        double perBlock = 2 * n * d * d * 4          // self q, k, v, o
                + Attention.flops(1, 1, (long) n, (long) n, c.dim())
                + 2 * n * d * d * 2 + 2 * l * d * d * 2  // cross q, o over video; k, v over text
                + Attention.flops(1, 1, (long) n, (long) l, c.dim())
                + 2 * n * d * c.ffnDim() * 2;        // FFN
        double embed = 2 * n * d * c.inDim() * ps.volume() + 2 * l * (c.textDim() * d + d * d)
                + 2 * (c.freqDim() * d + d * d + 6 * d * d);
        double head = 2 * n * d * c.outDim() * ps.volume();
        return batch * (embed + c.numLayers() * perBlock + head);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    public void close() {
        params.close();
    }
}
