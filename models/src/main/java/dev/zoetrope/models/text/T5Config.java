package dev.zoetrope.models.text;

import java.nio.file.Path;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;

/**
 * The dimensions of a T5-family encoder, from a Hugging Face {@code config.json} ({@code T5Config} or
 * {@code UMT5Config}).
 *
 * @param perLayerBias every block has its own relative-position bias table (umT5), instead of one table in
 *                     block 0 shared by all blocks (T5 v1.1)
 * @param feedForwardProj {@code gated-gelu} (T5 v1.1, umT5: GELU-tanh gate), {@code relu} (T5 v1.0), or
 *                     another {@code [gated-]act} with act one of relu, gelu, gelu_new, silu
 */
public record T5Config(int dModel, int dKv, int dFf, int numHeads, int numLayers, int numBuckets, int maxDistance,
                       String feedForwardProj, double layerNormEpsilon, int vocabSize, boolean perLayerBias) {

    /** The feed-forward activation. */
    public enum Activation { RELU, GELU, GELU_TANH, SILU }

    public T5Config {
        positive("d_model", dModel);
        positive("d_kv", dKv);
        positive("d_ff", dFf);
        positive("num_heads", numHeads);
        positive("num_layers", numLayers);
        positive("relative_attention_num_buckets", numBuckets);
        positive("relative_attention_max_distance", maxDistance);
        positive("vocab_size", vocabSize);
        // Bidirectional buckets split in halves (direction), then into exact and logarithmic quarters.
        if (numBuckets % 4 != 0)
            throw new ConfigException("T5 config: relative_attention_num_buckets " + numBuckets + " must be a multiple of 4");
        if (maxDistance <= numBuckets / 4)
            throw new ConfigException("T5 config: relative_attention_max_distance " + maxDistance
                    + " must exceed a quarter of the buckets (" + numBuckets / 4 + ")");
        activationOf(feedForwardProj);
        if (!(layerNormEpsilon > 0)) throw new ConfigException("T5 config: layer_norm_epsilon must be positive, got " + layerNormEpsilon);
    }

    private static void positive(String field, int value) {
        if (value < 1) throw new ConfigException("T5 config: " + field + " must be positive, got " + value);
    }

    /** T5 v1.1 XXL, the encoder Linum v2 uses. */
    public static T5Config t5v11Xxl() {
        return new T5Config(4096, 64, 10240, 64, 24, 32, 128, "gated-gelu", 1e-6, 32128, false);
    }

    /** umT5-XXL, the encoder Wan 2.1 uses. */
    public static T5Config umt5Xxl() {
        return new T5Config(4096, 64, 10240, 64, 24, 32, 128, "gated-gelu", 1e-6, 256384, true);
    }

    public T5Config withLayers(int layers) {
        return new T5Config(dModel, dKv, dFf, numHeads, layers, numBuckets, maxDistance, feedForwardProj, layerNormEpsilon, vocabSize, perLayerBias);
    }

    public T5Config withVocabSize(int vocab) {
        return new T5Config(dModel, dKv, dFf, numHeads, numLayers, numBuckets, maxDistance, feedForwardProj, layerNormEpsilon, vocab, perLayerBias);
    }

    /** Width of the attention projections: heads × head dim (need not equal d_model). */
    public int innerDim() {
        return numHeads * dKv;
    }

    public boolean gated() {
        return feedForwardProj.toLowerCase(Locale.ROOT).startsWith("gated-");
    }

    public Activation activation() {
        return activationOf(feedForwardProj);
    }

    private static Activation activationOf(String proj) {
        String p = proj.toLowerCase(Locale.ROOT);
        if (p.equals("gated-gelu")) return Activation.GELU_TANH; // HF maps gated-gelu to gelu_new
        String act = p.startsWith("gated-") ? p.substring(6) : p;
        return switch (act) {
            case "relu" -> Activation.RELU;
            case "gelu" -> Activation.GELU;
            case "gelu_new", "gelu_pytorch_tanh" -> Activation.GELU_TANH;
            case "silu", "swish" -> Activation.SILU;
            default -> throw new ConfigException("T5 config: feed_forward_proj '" + proj
                    + "' is not supported (use relu, gated-gelu, gelu, gated-silu ...)");
        };
    }

    /** Reads a {@code config.json}. */
    public static T5Config read(Path file) {
        return fromJson(Json.readTree(file), file.toString());
    }

    /**
     * Reads Hugging Face names ({@code relative_attention_num_buckets}, {@code model_type} t5 or umt5) and
     * also the short names {@code num_buckets}, {@code max_distance}, {@code per_layer_bias}.
     */
    public static T5Config fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new ConfigException(source + ": not a JSON object");
        String modelType = root.path("model_type").asText("t5");
        if (!modelType.equals("t5") && !modelType.equals("umt5") && !modelType.equals("mt5"))
            throw new ConfigException(source + ": model_type '" + modelType + "' is not a T5 encoder (t5, mt5 or umt5)");
        boolean perLayer = root.has("per_layer_bias") ? root.get("per_layer_bias").asBoolean() : modelType.equals("umt5");
        return new T5Config(
                required(root, source, "d_model"), required(root, source, "d_kv"), required(root, source, "d_ff"),
                required(root, source, "num_heads"), required(root, source, "num_layers"),
                optional(root, source, 32, "relative_attention_num_buckets", "num_buckets"),
                optional(root, source, 128, "relative_attention_max_distance", "max_distance"),
                root.path("feed_forward_proj").asText("relu"),
                root.path("layer_norm_epsilon").asDouble(1e-6),
                required(root, source, "vocab_size"), perLayer);
    }

    private static int required(JsonNode root, String source, String field) {
        JsonNode v = root.get(field);
        if (v == null) throw new ConfigException(source + ": missing field '" + field + "'");
        if (!v.canConvertToInt()) throw new ConfigException(source + ": field '" + field + "' must be an integer, got " + v);
        return v.asInt();
    }

    private static int optional(JsonNode root, String source, int fallback, String... names) {
        for (String n : names) if (root.has(n)) return required(root, source, n);
        return fallback;
    }
}
