package dev.zoetrope.models.dit;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;

/**
 * How a checkpoint names the DiT's tensors. The model's own names are the original Wan names
 * ({@code blocks.0.self_attn.q.weight}); a layout maps them to file keys.
 */
public enum DitKeyLayout implements KeyLayout {
    /** Linum v2: original names under {@code model.}, plus the {@code video_data_scale}/{@code video_data_bias} buffers. */
    LINUM("model.", ModelFamily.LINUM, "Linum v2 names under model."),
    /** Wan 2.1 as released ({@code diffusion_pytorch_model.safetensors}): original names, no prefix. */
    WAN_ORIGINAL("", ModelFamily.WAN, "Wan 2.1 original names"),
    /** Wan 2.1 in Diffusers' {@code WanTransformer3DModel} names ({@code transformer/}). */
    WAN_DIFFUSERS("", ModelFamily.WAN, "Wan 2.1 Diffusers names");

    private final String prefix;
    private final ModelFamily family;
    private final String description;

    DitKeyLayout(String prefix, ModelFamily family, String description) {
        this.prefix = prefix;
        this.family = family;
        this.description = description;
    }

    @Override
    public String describe() {
        return description;
    }

    /** The DiT's tensors are those under the prefix; Linum's latent buffers sit beside them. */
    @Override
    public boolean covers(String fileKey) {
        return fileKey.startsWith(prefix);
    }

    public String prefix() {
        return prefix;
    }

    public ModelFamily family() {
        return family;
    }

    /** The file key of a model key, prefix included. */
    @Override
    public String fileKey(String modelKey) {
        return prefix + (this == WAN_DIFFUSERS ? toDiffusers(modelKey) : modelKey);
    }

    /** A layout as found in a file: the naming, and the prefix a wrapper (ComfyUI, torch.compile, DDP) put before it. */
    public record Detected(DitKeyLayout layout, String wrapper) {
        public KeyLayout keys() {
            return layout.prefixed(wrapper);
        }
    }

    /** Detects the layout from marker tensors, under any wrapper prefix. */
    public static DitKeyLayout detect(Weights w) {
        return find(w).layout();
    }

    /** {@link #detect} with the wrapper prefix it found. */
    public static Detected find(Weights w) {
        String p;
        if ((p = KeyLayout.wrapperPrefix(w, "condition_embedder.time_proj.weight")) != null
                || (p = KeyLayout.wrapperPrefix(w, "proj_out.weight")) != null) return new Detected(WAN_DIFFUSERS, p);
        if ((p = KeyLayout.wrapperPrefix(w, "patch_embedding.weight")) != null && w.contains(p + "head.head.weight"))
            return new Detected(WAN_ORIGINAL, p);
        if (w.contains("model.patch_embedding.weight")) return new Detected(LINUM, "");
        throw new ModelLoadException(w.source() + " does not look like a DiT checkpoint: it has none of "
                + "'model.patch_embedding.weight' (Linum v2), 'patch_embedding.weight' + 'head.head.weight' (Wan 2.1, also under "
                + String.join(", ", KeyLayout.WRAPPER_PREFIXES) + ") or 'condition_embedder.time_proj.weight' (Wan 2.1, Diffusers)");
    }

    private record Rename(Pattern pattern, String replacement) {}

    /** Original → Diffusers, first match wins; {@code $1} is the block index or the parameter suffix. */
    private static final List<Rename> DIFFUSERS = List.of(
            rename("time_embedding\\.0\\.(.*)", "condition_embedder.time_embedder.linear_1.$1"),
            rename("time_embedding\\.2\\.(.*)", "condition_embedder.time_embedder.linear_2.$1"),
            rename("time_projection\\.1\\.(.*)", "condition_embedder.time_proj.$1"),
            rename("text_embedding\\.0\\.(.*)", "condition_embedder.text_embedder.linear_1.$1"),
            rename("text_embedding\\.2\\.(.*)", "condition_embedder.text_embedder.linear_2.$1"),
            rename("head\\.modulation", "scale_shift_table"),
            rename("head\\.head\\.(.*)", "proj_out.$1"),
            rename("head\\.norm\\.(.*)", "norm_out.$1"),
            rename("blocks\\.(\\d+)\\.modulation", "blocks.$1.scale_shift_table"),
            rename("blocks\\.(\\d+)\\.self_attn\\.o\\.(.*)", "blocks.$1.attn1.to_out.0.$2"),
            rename("blocks\\.(\\d+)\\.cross_attn\\.o\\.(.*)", "blocks.$1.attn2.to_out.0.$2"),
            rename("blocks\\.(\\d+)\\.self_attn\\.([qkv])\\.(.*)", "blocks.$1.attn1.to_$2.$3"),
            rename("blocks\\.(\\d+)\\.cross_attn\\.([qkv])\\.(.*)", "blocks.$1.attn2.to_$2.$3"),
            rename("blocks\\.(\\d+)\\.self_attn\\.(norm_[qk])\\.(.*)", "blocks.$1.attn1.$2.$3"),
            rename("blocks\\.(\\d+)\\.cross_attn\\.(norm_[qk])\\.(.*)", "blocks.$1.attn2.$2.$3"),
            rename("blocks\\.(\\d+)\\.ffn\\.0\\.(.*)", "blocks.$1.ffn.net.0.proj.$2"),
            rename("blocks\\.(\\d+)\\.ffn\\.2\\.(.*)", "blocks.$1.ffn.net.2.$2"),
            // Diffusers swaps the names of the cross-attention norm and the FFN norm
            rename("blocks\\.(\\d+)\\.norm3\\.(.*)", "blocks.$1.norm2.$2"),
            rename("blocks\\.(\\d+)\\.norm2\\.(.*)", "blocks.$1.norm3.$2"));

    private static Rename rename(String regex, String replacement) {
        return new Rename(Pattern.compile(regex), replacement);
    }

    static String toDiffusers(String key) {
        for (Rename r : DIFFUSERS) {
            Matcher m = r.pattern().matcher(key);
            if (m.matches()) return m.replaceFirst(r.replacement());
        }
        return key;
    }
}
