package dev.zoetrope.models.dit;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.nn.Params;

/**
 * The shape and the variant of a Wan-style diffusion transformer. Linum v2 and Wan 2.1 differ only here:
 *
 * @param textEmbeddingBias    the text-embedding MLP's two Linears have biases (Wan), so zero-padded text rows
 *                             do not stay zero
 * @param crossAttnKvBias      the cross-attention k and v Linears have biases (Wan)
 * @param affineModulatedNorms norm1, norm2 and head.norm have affine weights (Linum)
 * @param layerNormEps         eps of every LayerNorm (Linum 1e-5, the PyTorch default; Wan 1e-6)
 * @param rmsNormEps           eps of the q/k RMSNorms (1e-6 in both)
 * @param crossAttnNorm        norm3 (before cross-attention) exists; it is affine
 * @param qkNorm               q and k go through RMSNorm over the whole dim
 * @param frameMask            tokens of frames at or beyond a sample's frame length are masked (Linum)
 */
public record DitConfig(
        DitFamily family,
        int dim, int ffnDim, int numHeads, int numLayers, int freqDim, int textDim, int textLen,
        int inDim, int outDim, PatchSize patchSize,
        double layerNormEps, double rmsNormEps,
        boolean textEmbeddingBias, boolean crossAttnKvBias, boolean affineModulatedNorms,
        boolean crossAttnNorm, boolean qkNorm, boolean frameMask) {

    /** Conv3d patch size (t, h, w); kernel = stride. */
    public record PatchSize(int t, int h, int w) {
        public PatchSize {
            if (t < 1 || h < 1 || w < 1) throw new ConfigException("patch_size must be positive, not [" + t + ", " + h + ", " + w + "]");
        }

        public int volume() {
            return t * h * w;
        }

        public List<Integer> toList() {
            return List.of(t, h, w);
        }
    }

    public DitConfig {
        if (family == null) throw new ConfigException("DiT config needs a family");
        if (patchSize == null) throw new ConfigException("DiT config needs a patch_size");
        positive("dim", dim);
        positive("ffn_dim", ffnDim);
        positive("num_heads", numHeads);
        positive("num_layers", numLayers);
        positive("freq_dim", freqDim);
        positive("text_dim", textDim);
        positive("text_len", textLen);
        positive("in_dim", inDim);
        positive("out_dim", outDim);
        if (dim % numHeads != 0) throw new ConfigException("dim " + dim + " is not a multiple of num_heads " + numHeads);
        if ((dim / numHeads) % 2 != 0 || dim / numHeads < 6)
            throw new ConfigException("head dim " + dim / numHeads + " (dim/num_heads) must be even and at least 6 for the 3D RoPE");
        if (freqDim % 2 != 0) throw new ConfigException("freq_dim must be even, not " + freqDim);
        if (!(layerNormEps > 0) || !(rmsNormEps > 0)) throw new ConfigException("norm eps must be positive");
    }

    private static void positive(String field, int v) {
        if (v < 1) throw new ConfigException("DiT config field '" + field + "' must be positive, not " + v);
    }

    public int headDim() {
        return dim / numHeads;
    }

    /** The released sizes: Linum v2 2B (dim 1664, 40 blocks) or Wan 2.1 T2V-1.3B (dim 1536, 30 blocks). */
    public static DitConfig defaults(DitFamily family) {
        return switch (family) {
            case LINUM -> new DitConfig(family, 1664, 8192, 13, 40, 256, 4096, 256, 16, 16, new PatchSize(1, 2, 2),
                    1e-5, 1e-6, false, false, true, true, true, true);
            case WAN -> new DitConfig(family, 1536, 8960, 12, 30, 256, 4096, 512, 16, 16, new PatchSize(1, 2, 2),
                    1e-6, 1e-6, true, true, false, true, true, false);
        };
    }

    public DitConfig withNumLayers(int n) {
        return builder().numLayers(n).build();
    }

    /**
     * Infers the config from weight shapes (model key names, see {@link DitKeyLayout}): dim and patch from
     * {@code patch_embedding}, layers by counting blocks, ffn_dim from {@code ffn.0}, text_dim from
     * {@code text_embedding.0}, freq_dim from {@code time_embedding.0}, out_dim from {@code head.head}, and the
     * bias/affine flags from which tensors exist. The head count cannot be seen in shapes (q, k, v are dim×dim):
     * it is {@code heads} if given, else dim/128 (both families use 128-channel heads). text_len, the eps values
     * and the frame mask come from the family.
     */
    public static DitConfig infer(Params p, DitFamily family, Integer heads) {
        long[] patch = p.shapeOf("patch_embedding.weight");
        if (patch.length != 5)
            throw new ConfigException("tensor '" + p.fileKey("patch_embedding.weight") + "' should be a Conv3d weight (5 dims), not "
                    + java.util.Arrays.toString(patch));
        int dim = (int) patch[0];
        int layers = 0;
        while (p.has("blocks." + layers + ".modulation")) layers++;
        if (layers == 0) throw new ConfigException("no DiT blocks: tensor '" + p.fileKey("blocks.0.modulation") + "' is missing");
        PatchSize ps = new PatchSize((int) patch[2], (int) patch[3], (int) patch[4]);
        int numHeads;
        if (heads != null) {
            numHeads = heads;
        } else {
            if (dim % DitFamily.DEFAULT_HEAD_DIM != 0)
                throw new ConfigException("cannot infer the head count of a dim-" + dim + " DiT (not a multiple of "
                        + DitFamily.DEFAULT_HEAD_DIM + "); give num_heads in a config");
            numHeads = dim / DitFamily.DEFAULT_HEAD_DIM;
        }
        int outFeatures = (int) p.shapeOf("head.head.weight")[0];
        if (outFeatures % ps.volume() != 0)
            throw new ConfigException("tensor '" + p.fileKey("head.head.weight") + "' has " + outFeatures
                    + " outputs, not a multiple of the patch volume " + ps.volume());
        return new DitConfig(family, dim, (int) p.shapeOf("blocks.0.ffn.0.weight")[0], numHeads, layers,
                (int) p.shapeOf("time_embedding.0.weight")[1], (int) p.shapeOf("text_embedding.0.weight")[1],
                family.defaultTextLen(), (int) patch[1], outFeatures / ps.volume(), ps,
                family.defaultLayerNormEps(), 1e-6,
                p.has("text_embedding.0.bias"), p.has("blocks.0.cross_attn.k.bias"), p.has("blocks.0.norm1.weight"),
                p.has("blocks.0.norm3.weight"), p.has("blocks.0.self_attn.norm_q.weight"), family.defaultFrameMask());
    }

    /** Reads a config file (see {@link #withOverrides}) over the family's released sizes. */
    public static DitConfig read(Path file, DitFamily fallback) {
        JsonNode node = Json.readTree(file);
        try {
            return fromJson(node, fallback);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    /** A config from JSON over the released sizes of its family ({@code family} field, or {@code fallback}). */
    public static DitConfig fromJson(JsonNode node, DitFamily fallback) {
        return defaults(familyOf(node, fallback)).withOverrides(node);
    }

    /** The family a JSON config names: {@code family}, or a Wan class name, else {@code fallback}. */
    public static DitFamily familyOf(JsonNode node, DitFamily fallback) {
        if (node.hasNonNull("family")) {
            try {
                return DitFamily.parse(node.get("family").asText());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage(), e);
            }
        }
        String cls = node.path("_class_name").asText("");
        if (cls.equals("WanModel") || cls.equals("WanTransformer3DModel")) return DitFamily.WAN;
        return fallback;
    }

    /**
     * This config with the fields present in {@code node} replaced. Field names are snake_case as in the
     * fixtures' README.json and the Wan configs: dim, ffn_dim, num_heads, num_layers, freq_dim, text_dim,
     * text_len, in_dim, out_dim, patch_size, eps (both eps), layernorm_eps, rmsnorm_eps, qk_norm,
     * cross_attn_norm, text_embedding_bias, cross_attn_kv_bias, affine_modulated_norms, frame_mask; and the
     * Diffusers names num_attention_heads, attention_head_dim, in_channels, out_channels.
     */
    public DitConfig withOverrides(JsonNode n) {
        if (n == null || n.isNull()) return this;
        if (!n.isObject()) throw new ConfigException("DiT config must be a JSON object");
        Builder b = builder();
        if (n.has("family")) b.family = familyOf(n, family);
        if (n.has("num_attention_heads")) {
            b.numHeads = integer(n, "num_attention_heads");
            if (n.has("attention_head_dim")) b.dim = b.numHeads * integer(n, "attention_head_dim");
        }
        if (n.has("dim")) b.dim = integer(n, "dim");
        if (n.has("num_heads")) b.numHeads = integer(n, "num_heads");
        if (n.has("ffn_dim")) b.ffnDim = integer(n, "ffn_dim");
        if (n.has("num_layers")) b.numLayers = integer(n, "num_layers");
        if (n.has("freq_dim")) b.freqDim = integer(n, "freq_dim");
        if (n.has("text_dim")) b.textDim = integer(n, "text_dim");
        if (n.has("text_len")) b.textLen = integer(n, "text_len");
        if (n.has("in_dim")) b.inDim = integer(n, "in_dim");
        if (n.has("in_channels")) b.inDim = integer(n, "in_channels");
        if (n.has("out_dim")) b.outDim = integer(n, "out_dim");
        if (n.has("out_channels") && !n.get("out_channels").isNull()) b.outDim = integer(n, "out_channels");
        if (n.has("patch_size")) {
            JsonNode ps = n.get("patch_size");
            if (!ps.isArray() || ps.size() != 3 || !ps.get(0).isInt() || !ps.get(1).isInt() || !ps.get(2).isInt())
                throw new ConfigException("DiT config field 'patch_size' must be three whole numbers [t, h, w], not " + ps);
            b.patchSize = new PatchSize(ps.get(0).asInt(), ps.get(1).asInt(), ps.get(2).asInt());
        }
        if (n.has("eps")) b.layerNormEps = b.rmsNormEps = number(n, "eps");
        if (n.has("layernorm_eps")) b.layerNormEps = number(n, "layernorm_eps");
        if (n.has("rmsnorm_eps")) b.rmsNormEps = number(n, "rmsnorm_eps");
        if (n.has("qk_norm")) b.qkNorm = n.get("qk_norm").isTextual() || n.get("qk_norm").asBoolean(false);
        if (n.has("cross_attn_norm")) b.crossAttnNorm = bool(n, "cross_attn_norm");
        if (n.has("text_embedding_bias")) b.textEmbeddingBias = bool(n, "text_embedding_bias");
        if (n.has("cross_attn_kv_bias")) b.crossAttnKvBias = bool(n, "cross_attn_kv_bias");
        if (n.has("affine_modulated_norms")) b.affineModulatedNorms = bool(n, "affine_modulated_norms");
        if (n.has("frame_mask")) b.frameMask = bool(n, "frame_mask");
        return b.build();
    }

    /** This config as snake_case JSON fields, readable by {@link #fromJson}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("family", family.id());
        m.put("dim", dim);
        m.put("ffn_dim", ffnDim);
        m.put("num_heads", numHeads);
        m.put("num_layers", numLayers);
        m.put("freq_dim", freqDim);
        m.put("text_dim", textDim);
        m.put("text_len", textLen);
        m.put("in_dim", inDim);
        m.put("out_dim", outDim);
        m.put("patch_size", patchSize.toList());
        m.put("layernorm_eps", layerNormEps);
        m.put("rmsnorm_eps", rmsNormEps);
        m.put("qk_norm", qkNorm);
        m.put("cross_attn_norm", crossAttnNorm);
        m.put("text_embedding_bias", textEmbeddingBias);
        m.put("cross_attn_kv_bias", crossAttnKvBias);
        m.put("affine_modulated_norms", affineModulatedNorms);
        m.put("frame_mask", frameMask);
        return m;
    }

    private static int integer(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber())
            throw new ConfigException("DiT config field '" + field + "' must be a whole number, not " + v);
        return v.asInt();
    }

    private static double number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) throw new ConfigException("DiT config field '" + field + "' must be a number, not " + v);
        return v.asDouble();
    }

    private static boolean bool(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isBoolean()) throw new ConfigException("DiT config field '" + field + "' must be true or false, not " + v);
        return v.asBoolean();
    }

    private Builder builder() {
        return new Builder(this);
    }

    private static final class Builder {
        DitFamily family;
        int dim, ffnDim, numHeads, numLayers, freqDim, textDim, textLen, inDim, outDim;
        PatchSize patchSize;
        double layerNormEps, rmsNormEps;
        boolean textEmbeddingBias, crossAttnKvBias, affineModulatedNorms, crossAttnNorm, qkNorm, frameMask;

        Builder(DitConfig c) {
            family = c.family;
            dim = c.dim;
            ffnDim = c.ffnDim;
            numHeads = c.numHeads;
            numLayers = c.numLayers;
            freqDim = c.freqDim;
            textDim = c.textDim;
            textLen = c.textLen;
            inDim = c.inDim;
            outDim = c.outDim;
            patchSize = c.patchSize;
            layerNormEps = c.layerNormEps;
            rmsNormEps = c.rmsNormEps;
            textEmbeddingBias = c.textEmbeddingBias;
            crossAttnKvBias = c.crossAttnKvBias;
            affineModulatedNorms = c.affineModulatedNorms;
            crossAttnNorm = c.crossAttnNorm;
            qkNorm = c.qkNorm;
            frameMask = c.frameMask;
        }

        Builder numLayers(int n) {
            numLayers = n;
            return this;
        }

        DitConfig build() {
            return new DitConfig(family, dim, ffnDim, numHeads, numLayers, freqDim, textDim, textLen, inDim, outDim,
                    patchSize, layerNormEps, rmsNormEps, textEmbeddingBias, crossAttnKvBias, affineModulatedNorms,
                    crossAttnNorm, qkNorm, frameMask);
        }
    }
}
