package dev.zoetrope.models.vae;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;

/** How a VAE checkpoint names its tensors. The model itself speaks the original Wan names. */
public enum VaeLayout {
    /** The original Wan 2.1 state dict: {@code encoder.*}, {@code conv1.*}, {@code conv2.*}, {@code decoder.*}. */
    ORIGINAL,
    /** Diffusers' {@code AutoencoderKLWan}: {@code quant_conv}, {@code down_blocks}, {@code mid_block}, {@code up_blocks}, ... */
    DIFFUSERS;

    /** Detects the layout from the key of the encoder's first conv. */
    public static VaeLayout detect(Weights weights) {
        if (weights.contains("encoder.conv1.weight")) return ORIGINAL;
        if (weights.contains("encoder.conv_in.weight")) return DIFFUSERS;
        throw new ModelLoadException(weights.source() + " is not a Wan VAE checkpoint: it has neither 'encoder.conv1.weight'"
                + " (original layout) nor 'encoder.conv_in.weight' (Diffusers layout)");
    }

    /** This layout's names for a VAE of {@code config} (Diffusers' decoder names depend on its block count). */
    public KeyLayout keys(WanVaeConfig config) {
        return new KeyLayout() {
            @Override
            public String fileKey(String key) {
                return VaeLayout.this == ORIGINAL ? key : toDiffusers(key, config.numResBlocks());
            }

            @Override
            public String describe() {
                return VaeLayout.this == ORIGINAL ? "Wan 2.1 VAE names" : "Diffusers AutoencoderKLWan names";
            }
        };
    }

    private static final Pattern TOP = Pattern.compile("(conv1|conv2)\\.(.+)");
    private static final Pattern CODER = Pattern.compile("(encoder|decoder)\\.(.+)");
    private static final Pattern STAGE = Pattern.compile("(downsamples|upsamples|middle)\\.(\\d+)\\.(.+)");

    static String toDiffusers(String key, int numResBlocks) {
        Matcher top = TOP.matcher(key);
        if (top.matches()) return (top.group(1).equals("conv1") ? "quant_conv." : "post_quant_conv.") + top.group(2);
        Matcher coder = CODER.matcher(key);
        if (!coder.matches()) return key;
        String side = coder.group(1), rest = coder.group(2);
        if (rest.startsWith("conv1.")) return side + ".conv_in." + rest.substring(6);
        if (rest.equals("head.0.gamma")) return side + ".norm_out.gamma";
        if (rest.startsWith("head.2.")) return side + ".conv_out." + rest.substring(7);
        Matcher stage = STAGE.matcher(rest);
        if (!stage.matches()) return key;
        int i = Integer.parseInt(stage.group(2));
        String inner = blockInner(stage.group(3));
        return switch (stage.group(1)) {
            case "downsamples" -> side + ".down_blocks." + i + "." + inner;
            case "middle" -> side + ".mid_block." + switch (i) {
                case 0 -> "resnets.0";
                case 1 -> "attentions.0";
                default -> "resnets." + (i / 2);
            } + "." + inner;
            default -> {
                // Each decoder level holds numResBlocks+1 residual blocks, then (except the last) one upsampler.
                int perLevel = numResBlocks + 2, level = i / perLevel, j = i % perLevel;
                yield side + ".up_blocks." + level + (j <= numResBlocks ? ".resnets." + j : ".upsamplers.0") + "." + inner;
            }
        };
    }

    /** Renames inside a residual block; attention and resample blocks keep their names. */
    private static String blockInner(String inner) {
        if (inner.equals("residual.0.gamma")) return "norm1.gamma";
        if (inner.startsWith("residual.2.")) return "conv1." + inner.substring(11);
        if (inner.equals("residual.3.gamma")) return "norm2.gamma";
        if (inner.startsWith("residual.6.")) return "conv2." + inner.substring(11);
        if (inner.startsWith("shortcut.")) return "conv_shortcut." + inner.substring(9);
        return inner;
    }
}
