package dev.zoetrope.models.vae;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.nn.ModelLoadException;

/**
 * The shape of a Wan 2.1 VAE.
 *
 * @param baseDim            channels of the first level (96 for the released model)
 * @param zDim               latent channels (16)
 * @param dimMult            channel multiplier per level ({@code [1,2,4,4]})
 * @param numResBlocks       residual blocks per encoder level; the decoder has one more per level
 * @param attnScales         spatial scales (1, 0.5, ...) whose encoder levels get attention blocks
 * @param temperalDownsample per encoder level transition, whether time is halved too ({@code [false,true,true]})
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record WanVaeConfig(@JsonProperty("base_dim") @JsonAlias("dim") int baseDim,
                           @JsonProperty("z_dim") int zDim,
                           @JsonProperty("dim_mult") List<Integer> dimMult,
                           @JsonProperty("num_res_blocks") int numResBlocks,
                           @JsonProperty("attn_scales") List<Double> attnScales,
                           @JsonProperty("temperal_downsample") List<Boolean> temperalDownsample) {

    public WanVaeConfig {
        if (dimMult == null || attnScales == null || temperalDownsample == null)
            throw new ConfigException("VAE dim_mult, attn_scales and temperal_downsample must be lists");
        dimMult = List.copyOf(dimMult);
        attnScales = List.copyOf(attnScales);
        temperalDownsample = List.copyOf(temperalDownsample);
        if (baseDim < 1 || zDim < 1 || numResBlocks < 1)
            throw new ConfigException("VAE base_dim, z_dim and num_res_blocks must be positive");
        if (dimMult.isEmpty() || dimMult.stream().anyMatch(m -> m < 1))
            throw new ConfigException("VAE dim_mult must be a non-empty list of positive numbers");
        if (temperalDownsample.size() != dimMult.size() - 1)
            throw new ConfigException("VAE temperal_downsample needs " + (dimMult.size() - 1)
                    + " entries (one per level transition), not " + temperalDownsample.size());
    }

    /** The released Wan 2.1 VAE. */
    public static WanVaeConfig wan21() {
        return new WanVaeConfig(96, 16, List.of(1, 2, 4, 4), 2, List.of(), List.of(false, true, true));
    }

    /** The same architecture with another base width (tests, benchmarks). */
    public WanVaeConfig withBaseDim(int dim) {
        return new WanVaeConfig(dim, zDim, dimMult, numResBlocks, attnScales, temperalDownsample);
    }

    /** Channels per level: {@code baseDim·[1, dimMult...]}. */
    int[] encoderDims() {
        int[] d = new int[dimMult.size() + 1];
        d[0] = baseDim;
        for (int i = 0; i < dimMult.size(); i++) d[i + 1] = baseDim * dimMult.get(i);
        return d;
    }

    /** Channels per decoder level: {@code baseDim·[last mult, dimMult reversed...]}. */
    int[] decoderDims() {
        int n = dimMult.size();
        int[] d = new int[n + 1];
        d[0] = baseDim * dimMult.get(n - 1);
        for (int i = 0; i < n; i++) d[i + 1] = baseDim * dimMult.get(n - 1 - i);
        return d;
    }

    /** The decoder's time upsampling per level: the encoder's downsampling reversed. */
    List<Boolean> temperalUpsample() {
        return temperalDownsample.reversed();
    }

    /** Pixels per latent pixel along H and W. */
    public int spatialFactor() {
        return 1 << temperalDownsample.size();
    }

    /** Frames per latent frame after the first. */
    public int temporalFactor() {
        return 1 << temperalDownsample.stream().filter(b -> b).count();
    }

    /**
     * Checks that a {@code width} × {@code height} clip of {@code frames} frames (1 + temporal factor × k) fits the
     * latent grid.
     */
    public void requireFits(int width, int height, int frames) {
        if (width % spatialFactor() != 0 || height % spatialFactor() != 0 || (frames - 1) % temporalFactor() != 0)
            throw new IllegalArgumentException(width + "x" + height + ", " + frames + " frames do not fit the VAE's grid");
    }

    /** Latent frames of a clip of {@code frames} frames. */
    public int latentFrames(int frames) {
        return (frames - 1) / temporalFactor() + 1;
    }

    /**
     * Reads a JSON config: Diffusers' {@code vae/config.json} ({@code base_dim}) or the original names
     * ({@code dim}). Absent fields take the Wan 2.1 defaults.
     */
    public static WanVaeConfig read(Path file) {
        return fromJson(Json.readTree(file), file.toString());
    }

    /** {@link #read} of a config already parsed; {@code source} names it in errors. */
    public static WanVaeConfig fromJson(JsonNode node, String source) {
        return Json.overlay(wan21(), node, WanVaeConfig.class, source);
    }

    /**
     * Infers the config from tensor shapes, addressed by original Wan key names ({@code shapeOf} returns
     * null for an absent key).
     */
    public static WanVaeConfig infer(Function<String, long[]> shapeOf) {
        long[] in = shapeOf.apply("encoder.conv1.weight");
        long[] post = shapeOf.apply("conv2.weight");
        if (in == null || post == null)
            throw new ModelLoadException("cannot infer the VAE config: tensors 'encoder.conv1.weight' and 'conv2.weight' are needed");
        int base = (int) in[0];
        int z = (int) post[0];
        List<Integer> mult = new ArrayList<>();
        List<Boolean> temporal = new ArrayList<>();
        List<Double> attn = new ArrayList<>();
        int resBlocks = -1;
        int i = 0;
        double scale = 1.0;
        int inLevel = 0;
        while (true) {
            String k = "encoder.downsamples." + i + ".";
            if (shapeOf.apply(k + "residual.2.weight") != null) {
                long[] s = shapeOf.apply(k + "residual.2.weight");
                if (inLevel == 0) mult.add((int) (s[0] / base));
                inLevel++;
            } else if (shapeOf.apply(k + "to_qkv.weight") != null) {
                if (!attn.contains(scale)) attn.add(scale);
            } else if (shapeOf.apply(k + "resample.1.weight") != null) {
                temporal.add(shapeOf.apply(k + "time_conv.weight") != null);
                if (resBlocks < 0) resBlocks = inLevel;
                inLevel = 0;
                scale /= 2;
            } else {
                break;
            }
            i++;
        }
        if (mult.isEmpty() || resBlocks < 0)
            throw new ModelLoadException("cannot infer the VAE config: no encoder.downsamples blocks found");
        return new WanVaeConfig(base, z, mult, resBlocks, attn, temporal);
    }
}
