package dev.zoetrope.models.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.CheckpointLoader;
import dev.zoetrope.models.nn.Init;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.nn.Role;

/**
 * The encoder stack of T5 v1.1 and umT5, read from Hugging Face key names.
 *
 * <p>Per block: {@code h += Attention(RMSNorm(h))}, then {@code h += FeedForward(RMSNorm(h))}; a final
 * RMSNorm. Attention scores are {@code q·kᵀ} without the {@code 1/√d} scale, plus a learned bias indexed by
 * the bucketed relative position (bidirectional, half of the buckets exact, half logarithmic up to the max
 * distance). T5 v1.1 computes that bias from block 0's table for all blocks; umT5 has a table per block.
 *
 * <p>Weights stay in their stored dtype (bf16 stays bf16: T5-XXL is 9.5 GB), and matmuls run in it;
 * norms, softmax and the residual stream are float32. Float16 weights are widened to float32, because T5's
 * activations overflow float16. Call {@link #close} to free the weights, e.g. before the DiT runs.
 */
public final class T5Encoder implements AutoCloseable {
    private static final double MASKED = -Float.MAX_VALUE;

    private record Block(Tensor q, Tensor k, Tensor v, Tensor o, Tensor positionTable, Tensor attentionNorm,
                         Tensor wi0, Tensor wi1, Tensor wo, Tensor feedForwardNorm) {}

    private final T5Config config;
    private final Params params;
    private final DType dtype;
    private final Tensor embedding, finalNorm;
    private final List<Block> blocks = new ArrayList<>();
    private boolean closed;

    private T5Encoder(T5Config config, Params params, DType dtype) {
        this.config = config;
        this.params = params;
        this.dtype = dtype;
        int d = config.dModel(), inner = config.innerDim(), ff = config.dFf();
        this.embedding = params.get("shared.weight", Role.EMBEDDING, config.vocabSize(), d);
        for (int i = 0; i < config.numLayers(); i++) {
            String attn = "encoder.block." + i + ".layer.0.SelfAttention.";
            String mlp = "encoder.block." + i + ".layer.1.DenseReluDense.";
            boolean hasTable = i == 0 || config.perLayerBias();
            blocks.add(new Block(
                    params.get(attn + "q.weight", Role.WEIGHT, inner, d), params.get(attn + "k.weight", Role.WEIGHT, inner, d),
                    params.get(attn + "v.weight", Role.WEIGHT, inner, d), params.get(attn + "o.weight", Role.WEIGHT, d, inner),
                    hasTable ? params.get(attn + "relative_attention_bias.weight", Role.TABLE, config.numBuckets(), config.numHeads()) : null,
                    params.get("encoder.block." + i + ".layer.0.layer_norm.weight", Role.GAIN, d),
                    params.get(mlp + (config.gated() ? "wi_0.weight" : "wi.weight"), Role.WEIGHT, ff, d),
                    config.gated() ? params.get(mlp + "wi_1.weight", Role.WEIGHT, ff, d) : null,
                    params.get(mlp + "wo.weight", Role.WEIGHT, d, ff),
                    params.get("encoder.block." + i + ".layer.1.layer_norm.weight", Role.GAIN, d)));
        }
        this.finalNorm = params.get("encoder.final_layer_norm.weight", Role.GAIN, d);
    }

    /** Loads {@code dir/config.json} and the weights in {@code dir} (one file or shards), in their stored dtype. */
    public static T5Encoder load(Path dir) {
        return load(dir, null);
    }

    /**
     * Loads {@code dir/config.json} and the weights in {@code dir}.
     *
     * @param dtype cast every weight to this dtype; null keeps the stored one (which must then be uniform)
     */
    public static T5Encoder load(Path dir, DType dtype) {
        T5Config config = T5Config.read(dir.resolve("config.json"));
        try (Weights weights = Weights.open(dir)) {
            return load(config, weights, dtype);
        }
    }

    /**
     * Loads every encoder tensor from {@code weights} through the {@link CheckpointLoader} (Hugging Face names);
     * the caller may close {@code weights} afterwards. Float16 and float64 weights compute in float32, because
     * T5's activations overflow float16.
     *
     * @param config null to infer it from the weight shapes ({@link T5Config#infer})
     * @param dtype  cast every weight to this dtype; null keeps the stored one (which must then be uniform)
     */
    public static T5Encoder load(T5Config config, Weights weights, DType dtype) {
        return load(config, weights, dtype, null);
    }

    /** {@link #load(T5Config, Weights, DType)} onto {@code device}, tensor by tensor (null: the CPU). */
    public static T5Encoder load(T5Config config, Weights weights, DType dtype, org.bytedeco.pytorch.Device device) {
        return CheckpointLoader.load(weights, recipe(config, dtype, device));
    }

    /** {@link #load(T5Config, Weights, DType)} over shape-only tensors, nothing read (see {@link CheckpointLoader#plan}). */
    public static T5Encoder plan(T5Config config, Weights weights, DType dtype) {
        return CheckpointLoader.plan(weights, recipe(config, dtype, null));
    }

    private static CheckpointLoader.Recipe<T5Encoder> recipe(T5Config config, DType dtype, org.bytedeco.pytorch.Device device) {
        CheckpointLoader.requireFloating(dtype);
        return new CheckpointLoader.Recipe<>() {
            private DType compute;

            @Override
            public org.bytedeco.pytorch.Device device() {
                return device;
            }

            @Override
            public KeyLayout layout(Weights w) {
                return T5KeyLayout.detect(w);
            }

            @Override
            public DType cast(Weights w, KeyLayout layout) {
                if (dtype != null) return compute = dtype;
                DType stored = CheckpointLoader.uniformDtype(w, layout, (name, info) -> true, "T5 weights");
                compute = stored == null || stored == DType.F16 || stored == DType.F64 ? DType.F32 : stored;
                return compute == stored ? null : compute;
            }

            @Override
            public T5Encoder build(Weights w, KeyLayout layout, Params params) {
                return new T5Encoder(config != null ? config : T5Config.infer(params), params, compute);
            }
        };
    }

    /** The parameters themselves (for writing them in a layout). */
    public Params params() {
        return params;
    }

    /** An encoder over given parameters (a training run's weights); it owns and closes them. */
    public static T5Encoder fromParams(T5Config config, Params params) {
        Engine.init();
        EnumSet<DType> dtypes = params.storedFloatDtypes();
        try {
            if (dtypes.size() != 1) throw new ModelLoadException("T5 parameters must share one floating dtype, found " + dtypes);
            return Scopes.value(() -> new T5Encoder(config, params, dtypes.iterator().next()));
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /**
     * Fresh weights drawn by {@link Init#t5} (matrices N(0, {@code std}²)) in {@code dtype} from {@code seed}: a text
     * encoder to train from scratch ({@code trainable}: they require grad), or random weights for benchmarks.
     */
    public static T5Encoder random(T5Config config, double std, long seed, DType dtype, boolean trainable) {
        return random(config, std, seed, dtype, trainable, null);
    }

    /** {@link #random(T5Config, double, long, DType, boolean)} with every weight placed on {@code device} (null: the CPU). */
    public static T5Encoder random(T5Config config, double std, long seed, DType dtype, boolean trainable,
                                   org.bytedeco.pytorch.Device device) {
        Params p = Params.fresh(Init.t5(std), seed, dtype, trainable, device);
        try {
            return Scopes.value(() -> new T5Encoder(config, p, dtype));
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** Bytes an encoder of {@code config} holds on its device with its weights in {@code dtype}. */
    public static long weightBytes(T5Config config, DType dtype) {
        try (T5Encoder m = onMeta(config, dtype)) {
            return m.params().residentBytes();
        }
    }

    /** An encoder of {@code config} with its weights on libtorch's {@code meta} device (shapes and dtypes, no data). */
    public static T5Encoder onMeta(T5Config config, DType dtype) {
        Params p = Params.shapesOnly(dtype);
        try {
            return Scopes.value(() -> new T5Encoder(config, p, dtype));
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** Every parameter of an encoder of {@code config}, in declaration order: the module tree's own inventory. */
    public static List<Params.Declared> declared(T5Config config) {
        Params p = Params.shapesOnly();
        try (T5Encoder shapes = Scopes.value(() -> new T5Encoder(config, p, DType.F32))) {
            return p.declared();
        }
    }

    public T5Config config() {
        return config;
    }

    /** The dtype of the weights and of the matmuls. */
    public DType dtype() {
        return dtype;
    }

    /** The loaded parameters, by key (for inspection: dtypes, shapes). */
    public Map<String, Tensor> parameters() {
        return params.loaded();
    }

    /**
     * Encodes a padded batch.
     *
     * @param inputIds      (B, L) integer ids
     * @param attentionMask (B, L), 1 for real tokens and 0 for padding; padded keys get no attention
     * @return (B, L, d_model) float32 hidden states; rows at padded positions hold values that mean nothing
     */
    public Tensor forward(Tensor inputIds, Tensor attentionMask) {
        requireOpen();
        if (inputIds.dim() != 2 || attentionMask.dim() != 2 || inputIds.size(0) != attentionMask.size(0)
                || inputIds.size(1) != attentionMask.size(1))
            throw new IllegalArgumentException("input ids " + Tensors.shapeString(Tensors.shape(inputIds))
                    + " and attention mask " + Tensors.shapeString(Tensors.shape(attentionMask)) + " must both be (batch, length)");
        long len = inputIds.size(1);
        return Scopes.keep(() -> {
            // this order (embedding, then the biases) is the autograd graph's, which decides how training sums gradients
            Tensor embedded = Ops.embedding(embedding, inputIds.to(ScalarType.Long)).to(ScalarType.Float);
            Tensor maskBias = keyMaskBias(attentionMask);
            Tensor sharedBias = config.perLayerBias() ? null : positionBias(blocks.getFirst().positionTable(), len);
            try (Scopes.Carried<Tensor> h = Scopes.carry(embedded)) {
                for (Block b : blocks)
                    h.update(in -> block(b, in, sharedBias != null ? sharedBias : positionBias(b.positionTable(), len), maskBias));
                return Ops.rmsNorm(h.get(), finalNorm, config.layerNormEpsilon()).to(ScalarType.Float);
            }
        });
    }

    /** One block: self-attention, then the feed-forward, each on the RMS-normed stream and added back. */
    private Tensor block(Block b, Tensor h, Tensor positionBias, Tensor maskBias) {
        Tensor attended = selfAttention(b, normed(h, b.attentionNorm()), positionBias, maskBias);
        h = h.add(attended.to(ScalarType.Float));
        Tensor fed = feedForward(b, normed(h, b.feedForwardNorm()));
        return h.add(fed.to(ScalarType.Float));
    }

    private Tensor normed(Tensor h, Tensor weight) {
        return Ops.rmsNorm(h, weight, config.layerNormEpsilon()).to(dtype.scalarType());
    }

    private Tensor selfAttention(Block b, Tensor x, Tensor positionBias, Tensor maskBias) {
        long batch = x.size(0), len = x.size(1);
        Tensor q = splitHeads(Ops.linear(x, b.q(), null));
        Tensor k = splitHeads(Ops.linear(x, b.k(), null));
        Tensor v = splitHeads(Ops.linear(x, b.v(), null));
        // No 1/sqrt(d_kv): T5 folds that scale into its weights.
        Tensor scores = torch.matmul(q, k.transpose(-1, -2)).to(ScalarType.Float).add(positionBias).add(maskBias);
        Tensor probs = torch.softmax(scores, -1).to(dtype.scalarType());
        Tensor context = torch.matmul(probs, v).transpose(1, 2).reshape(batch, len, config.innerDim());
        return Ops.linear(context, b.o(), null);
    }

    /** (B, L, H·d_kv) → (B, H, L, d_kv). */
    private Tensor splitHeads(Tensor x) {
        return x.view(x.size(0), x.size(1), config.numHeads(), config.dKv()).transpose(1, 2);
    }

    private Tensor feedForward(Block b, Tensor x) {
        Tensor hidden = activation(Ops.linear(x, b.wi0(), null));
        if (b.wi1() != null) hidden = hidden.mul(Ops.linear(x, b.wi1(), null));
        return Ops.linear(hidden, b.wo(), null);
    }

    private Tensor activation(Tensor x) {
        return switch (config.activation()) {
            case RELU -> torch.relu(x);
            case GELU -> torch.gelu(x);
            case GELU_TANH -> Ops.geluTanh(x);
            case SILU -> Ops.silu(x);
        };
    }

    /** (1, H, L, L) float32: the learned bias of each query/key offset. */
    private Tensor positionBias(Tensor table, long len) {
        Tensor buckets = relativePositionBuckets(len, config.numBuckets(), config.maxDistance());
        return Ops.embedding(table, Ops.toDeviceOf(buckets, table)).permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float);
    }

    /** (B, 1, 1, L) float32: 0 for real keys, the most negative float for padding. */
    private static Tensor keyMaskBias(Tensor attentionMask) {
        Tensor padding = attentionMask.to(ScalarType.Float).neg().add(Ops.scalar(1.0));
        return padding.mul(Ops.scalar(MASKED)).unsqueeze(1).unsqueeze(1);
    }

    /**
     * (L, L) bucket index of key position j relative to query position i: the first half of the buckets for
     * keys before or at the query, the second for keys after; within each half, offsets below a quarter of
     * the buckets get their own bucket and larger ones share logarithmically sized buckets up to
     * {@code maxDistance}. Computed with the same float32 tensor ops as the reference so borderline offsets
     * land in the same bucket.
     */
    static Tensor relativePositionBuckets(long len, int numBuckets, int maxDistance) {
        TensorOptions longs = new TensorOptions(ScalarType.Long);
        Tensor positions = torch.arange(Ops.scalar(len), longs);
        Tensor relative = positions.unsqueeze(0).sub(positions.unsqueeze(1)); // key − query
        long half = numBuckets / 2, exact = half / 2;
        Tensor direction = relative.gt(Ops.scalar(0)).to(ScalarType.Long).mul(Ops.scalar(half));
        Tensor distance = relative.abs();
        Tensor logarithmic = distance.to(ScalarType.Float).div(Ops.scalar(exact)).log()
                .div(Ops.scalar(Math.log((double) maxDistance / exact))).mul(Ops.scalar(half - exact))
                .to(ScalarType.Long).add(Ops.scalar(exact)).clamp_max(Ops.scalar(half - 1));
        return direction.add(distance.where(distance.lt(Ops.scalar(exact)), logarithmic));
    }

    /**
     * Encodes token id sequences of any lengths in one padded batch.
     *
     * @return per prompt, its (length, d_model) float32 hidden states, trimmed to its real length
     */
    public List<Tensor> encode(int[][] ids) {
        requireOpen();
        if (ids.length == 0) return List.of();
        int len = 0;
        for (int[] row : ids) {
            if (row.length == 0) throw new IllegalArgumentException("an id sequence is empty; a tokenizer always gives at least </s>");
            len = Math.max(len, row.length);
        }
        long[] idData = new long[ids.length * len];
        long[] maskData = new long[ids.length * len];
        for (int b = 0; b < ids.length; b++)
            for (int i = 0; i < ids[b].length; i++) {
                int id = ids[b][i];
                if (id < 0 || id >= config.vocabSize())
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + config.vocabSize());
                idData[b * len + i] = id;
                maskData[b * len + i] = 1;
            }
        int width = len;
        return Scopes.keepAll(() -> {
            // ids are made on the host; they go where the weights are
            Tensor hidden = forward(Ops.toDeviceOf(Tensors.fromLongs(idData, ids.length, width), embedding),
                    Ops.toDeviceOf(Tensors.fromLongs(maskData, ids.length, width), embedding));
            List<Tensor> result = new ArrayList<>(ids.length);
            for (int b = 0; b < ids.length; b++) result.add(hidden.select(0, b).narrow(0, 0, ids[b].length).clone());
            return result;
        });
    }

    /** Encodes one id sequence: its (length, d_model) float32 hidden states. */
    public Tensor encode(int[] ids) {
        return Scopes.keep(() -> encode(new int[][]{ids}).getFirst());
    }

    /** {@code states} (n, d) zero-padded (or cut) to (length, d), as text states enter the DiT. */
    public static Tensor zeroPadded(Tensor states, int length) {
        long n = states.size(0);
        if (n >= length) return states.narrow(0, 0, length).clone();
        return torch.constant_pad_nd(states, new long[]{0, 0, 0, length - n}, Ops.scalar(0.0));
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("the T5 encoder was closed; its weights are freed");
    }

    /** Frees the weights; the encoder cannot be used afterwards. */
    @Override
    public void close() {
        closed = true;
        params.close();
        blocks.clear();
    }
}
