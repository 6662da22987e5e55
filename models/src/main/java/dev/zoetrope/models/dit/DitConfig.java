package dev.zoetrope.models.dit;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.ModelFamily;
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
@JsonIgnoreProperties(ignoreUnknown = true)
public record DitConfig(
        @JsonProperty("family") ModelFamily family,
        @JsonProperty("dim") int dim,
        @JsonProperty("ffn_dim") int ffnDim,
        @JsonProperty("num_heads") @JsonAlias("num_attention_heads") int numHeads,
        @JsonProperty("num_layers") int numLayers,
        @JsonProperty("freq_dim") int freqDim,
        @JsonProperty("text_dim") int textDim,
        @JsonProperty("text_len") int textLen,
        @JsonProperty("in_dim") @JsonAlias("in_channels") int inDim,
        @JsonProperty("out_dim") @JsonAlias("out_channels") int outDim,
        @JsonProperty("patch_size") PatchSize patchSize,
        @JsonProperty("layernorm_eps") double layerNormEps,
        @JsonProperty("rmsnorm_eps") double rmsNormEps,
        @JsonProperty("text_embedding_bias") boolean textEmbeddingBias,
        @JsonProperty("cross_attn_kv_bias") boolean crossAttnKvBias,
        @JsonProperty("affine_modulated_norms") boolean affineModulatedNorms,
        @JsonProperty("cross_attn_norm") boolean crossAttnNorm,
        @JsonProperty("qk_norm") boolean qkNorm,
        @JsonProperty("frame_mask") boolean frameMask) {

    /** Conv3d patch size (t, h, w); kernel = stride. In JSON, {@code [t, h, w]}. */
    @JsonFormat(shape = JsonFormat.Shape.ARRAY)
    @JsonPropertyOrder({"t", "h", "w"})
    public record PatchSize(int t, int h, int w) {
        public PatchSize {
            if (t < 1 || h < 1 || w < 1) throw new ConfigException("patch_size must be positive, not [" + t + ", " + h + ", " + w + "]");
        }

        public int volume() {
            return t * h * w;
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

    public DitConfig withNumLayers(int n) {
        return new DitConfig(family, dim, ffnDim, numHeads, n, freqDim, textDim, textLen, inDim, outDim, patchSize,
                layerNormEps, rmsNormEps, textEmbeddingBias, crossAttnKvBias, affineModulatedNorms, crossAttnNorm, qkNorm, frameMask);
    }

    /**
     * Infers the config from weight shapes (model key names, see {@link DitKeyLayout}): dim and patch from
     * {@code patch_embedding}, layers by counting blocks, ffn_dim from {@code ffn.0}, text_dim from
     * {@code text_embedding.0}, freq_dim from {@code time_embedding.0}, out_dim from {@code head.head}, and the
     * bias/affine flags from which tensors exist. The head count cannot be seen in shapes (q, k, v are dim×dim):
     * it is {@code heads} if given, else dim/128 (both families use 128-channel heads). text_len, the eps values
     * and the frame mask come from the family.
     */
    public static DitConfig infer(Params p, ModelFamily family, Integer heads) {
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
            if (dim % ModelFamily.HEAD_DIM != 0)
                throw new ConfigException("cannot infer the head count of a dim-" + dim + " DiT (not a multiple of "
                        + ModelFamily.HEAD_DIM + "); give num_heads in a config");
            numHeads = dim / ModelFamily.HEAD_DIM;
        }
        int outFeatures = (int) p.shapeOf("head.head.weight")[0];
        if (outFeatures % ps.volume() != 0)
            throw new ConfigException("tensor '" + p.fileKey("head.head.weight") + "' has " + outFeatures
                    + " outputs, not a multiple of the patch volume " + ps.volume());
        return new DitConfig(family, dim, (int) p.shapeOf("blocks.0.ffn.0.weight")[0], numHeads, layers,
                (int) p.shapeOf("time_embedding.0.weight")[1], (int) p.shapeOf("text_embedding.0.weight")[1],
                family.textLength(), (int) patch[1], outFeatures / ps.volume(), ps,
                family.layerNormEps(), 1e-6,
                p.has("text_embedding.0.bias"), p.has("blocks.0.cross_attn.k.bias"), p.has("blocks.0.norm1.weight"),
                p.has("blocks.0.norm3.weight"), p.has("blocks.0.self_attn.norm_q.weight"), family.frameMask());
    }

    /** Reads a config file (see {@link #withOverrides}) over the family's released sizes. */
    public static DitConfig read(Path file, ModelFamily fallback) {
        return fromJson(Json.readTree(file), fallback, file.toString());
    }

    /** A config from JSON over the released sizes of its family ({@code family} field, or {@code fallback}). */
    public static DitConfig fromJson(JsonNode node, ModelFamily fallback) {
        return fromJson(node, fallback, "DiT config");
    }

    private static DitConfig fromJson(JsonNode node, ModelFamily fallback, String source) {
        return familyOf(node, fallback).dit().withOverrides(node, source);
    }

    /** The family a JSON config names: {@code family}, or a Wan class name, else {@code fallback}. */
    public static ModelFamily familyOf(JsonNode node, ModelFamily fallback) {
        if (node != null && node.hasNonNull("family")) return ModelFamily.parse(node.get("family").asText());
        String cls = node == null ? "" : node.path("_class_name").asText("");
        if (cls.equals("WanModel") || cls.equals("WanTransformer3DModel")) return ModelFamily.WAN;
        return fallback;
    }

    /**
     * This config with the fields present in {@code node} replaced. Field names are this record's (snake_case, as in
     * the fixtures' README.json and Wan's config.json) or their upstream aliases (Diffusers' num_attention_heads,
     * in_channels, out_channels); besides, Wan's {@code eps} sets both eps, Diffusers' {@code attention_head_dim}
     * gives dim = heads × head dim, and a named {@code qk_norm} (e.g. "rms_norm_across_heads") means true.
     */
    public DitConfig withOverrides(JsonNode node) {
        return withOverrides(node, "DiT config");
    }

    private DitConfig withOverrides(JsonNode node, String source) {
        if (node == null || node.isNull()) return this;
        if (!node.isObject()) throw new ConfigException(source + ": must be a JSON object");
        ObjectNode n = node.deepCopy();
        n.remove("_class_name");
        if (n.has("eps")) {
            JsonNode eps = n.remove("eps");
            if (!n.has("layernorm_eps")) n.set("layernorm_eps", eps);
            if (!n.has("rmsnorm_eps")) n.set("rmsnorm_eps", eps);
        }
        if (n.hasNonNull("attention_head_dim") && !n.has("dim")) {
            JsonNode heads = n.hasNonNull("num_attention_heads") ? n.get("num_attention_heads") : n.get("num_heads");
            if (heads != null && heads.isIntegralNumber() && n.get("attention_head_dim").isIntegralNumber())
                n.put("dim", heads.asInt() * n.get("attention_head_dim").asInt());
        }
        if (n.has("qk_norm") && n.get("qk_norm").isTextual()) n.put("qk_norm", true);
        return Json.overlay(this, n, DitConfig.class, source);
    }

    /** This config as JSON fields, readable by {@link #fromJson}. */
    public Map<String, Object> toJson() {
        return Json.CONFIG.convertValue(this, new TypeReference<LinkedHashMap<String, Object>>() {});
    }
}
