package dev.zoetrope.models.text;

import java.nio.file.Path;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
@JsonIgnoreProperties(ignoreUnknown = true)
public record T5Config(@JsonProperty(value = "d_model", required = true) int dModel,
                       @JsonProperty(value = "d_kv", required = true) int dKv,
                       @JsonProperty(value = "d_ff", required = true) int dFf,
                       @JsonProperty(value = "num_heads", required = true) int numHeads,
                       @JsonProperty(value = "num_layers", required = true) int numLayers,
                       @JsonProperty("relative_attention_num_buckets") @JsonAlias("num_buckets") int numBuckets,
                       @JsonProperty("relative_attention_max_distance") @JsonAlias("max_distance") int maxDistance,
                       @JsonProperty("feed_forward_proj") String feedForwardProj,
                       @JsonProperty("layer_norm_epsilon") double layerNormEpsilon,
                       @JsonProperty(value = "vocab_size", required = true) int vocabSize,
                       @JsonProperty("per_layer_bias") boolean perLayerBias) {

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
        if (feedForwardProj == null) throw new ConfigException("T5 config: feed_forward_proj must be a name such as gated-gelu");
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
     * also the short names {@code num_buckets}, {@code max_distance}, {@code per_layer_bias}. Absent optional fields
     * take Hugging Face's defaults (32 buckets, distance 128, relu, eps 1e-6); umT5 has a bias table per block.
     */
    public static T5Config fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new ConfigException(source + ": not a JSON object");
        String modelType = root.path("model_type").asText("t5");
        if (!modelType.equals("t5") && !modelType.equals("umt5") && !modelType.equals("mt5"))
            throw new ConfigException(source + ": model_type '" + modelType + "' is not a T5 encoder (t5, mt5 or umt5)");
        ObjectNode defaults = Json.CONFIG.createObjectNode()
                .put("relative_attention_num_buckets", 32).put("relative_attention_max_distance", 128)
                .put("feed_forward_proj", "relu").put("layer_norm_epsilon", 1e-6).put("per_layer_bias", modelType.equals("umt5"));
        return Json.overlay(defaults, root, T5Config.class, source);
    }

    /**
     * The config of the weights in {@code p} (Hugging Face model keys), read from their shapes: for checkpoints that
     * come without a config.json, such as Wan 2.1's umT5 {@code .pth}. What shapes cannot show is T5 v1.1 / umT5's:
     * a gated GELU (tanh) feed-forward, distance 128, eps 1e-6.
     */
    public static T5Config infer(dev.zoetrope.models.nn.Params p) {
        long[] embedding = p.shapeOf("shared.weight");
        int layers = 0;
        while (p.has("encoder.block." + layers + ".layer.0.SelfAttention.q.weight")) layers++;
        if (embedding.length != 2 || layers == 0)
            throw new ConfigException("cannot infer the T5 config: no embedding or no encoder blocks ('"
                    + p.fileKey("encoder.block.0.layer.0.SelfAttention.q.weight") + "')");
        String table = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
        long[] positions = p.shapeOf(table);
        int heads = (int) positions[1], inner = (int) p.shapeOf("encoder.block.0.layer.0.SelfAttention.q.weight")[0];
        if (inner % heads != 0) throw new ConfigException("cannot infer the T5 config: " + inner + " attention channels for " + heads + " heads");
        String mlp = "encoder.block.0.layer.1.DenseReluDense.";
        boolean gated = p.has(mlp + "wi_0.weight");
        int ff = (int) p.shapeOf(mlp + (gated ? "wi_0.weight" : "wi.weight"))[0];
        boolean perLayer = layers > 1 && p.has("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight")
                && !p.fileKey("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight").equals(p.fileKey(table));
        return new T5Config((int) embedding[1], inner / heads, ff, heads, layers, (int) positions[0], 128,
                gated ? "gated-gelu" : "relu", 1e-6, (int) embedding[0], perLayer);
    }

    /** This config as a Hugging Face encoder's {@code config.json}. */
    public ObjectNode toHuggingFace() {
        ObjectNode n = Json.CONFIG.createObjectNode();
        n.putArray("architectures").add(perLayerBias ? "UMT5EncoderModel" : "T5EncoderModel");
        n.put("model_type", perLayerBias ? "umt5" : "t5");
        n.setAll((ObjectNode) Json.CONFIG.valueToTree(this));
        n.put("is_encoder_decoder", false);
        return n;
    }
}
