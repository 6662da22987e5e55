package dev.zoetrope.models.nn;

import java.util.List;

import dev.zoetrope.core.safetensors.Weights;

/**
 * How a checkpoint names a model's tensors. A model speaks one set of names (its module tree's); a layout maps
 * each of them to the file's name, so one model reads every layout its family is published in.
 */
public interface KeyLayout {
    /** The file key of model key {@code modelKey}. */
    String fileKey(String modelKey);

    /**
     * Whether a file key belongs to this model part at all. Keys outside it are neither loaded nor reported as
     * unused: Linum's latent buffers beside {@code model.*}, the decoder of a whole T5 checkpoint.
     */
    default boolean covers(String fileKey) {
        return true;
    }

    /** The layout's name, for messages. */
    String describe();

    /**
     * Prefixes that wrappers put before every key of a module's state dict: ComfyUI's single-file checkpoints
     * ({@code model.diffusion_model.}), LoRA-style exports ({@code diffusion_model.}), {@code torch.compile}
     * ({@code _orig_mod.}) and DDP ({@code module.}).
     */
    List<String> WRAPPER_PREFIXES = List.of("model.diffusion_model.", "diffusion_model.", "_orig_mod.", "module.");

    /** The wrapper prefix before {@code marker} in {@code weights} ("" for none), or null when the marker is absent. */
    static String wrapperPrefix(Weights weights, String marker) {
        if (weights.contains(marker)) return "";
        for (String p : WRAPPER_PREFIXES) if (weights.contains(p + marker)) return p;
        return null;
    }

    /** This layout under {@code prefix}: every file key carries it, and only keys that do belong to this part. */
    default KeyLayout prefixed(String prefix) {
        if (prefix.isEmpty()) return this;
        KeyLayout inner = this;
        return new KeyLayout() {
            @Override
            public String fileKey(String modelKey) {
                return prefix + inner.fileKey(modelKey);
            }

            @Override
            public boolean covers(String fileKey) {
                return fileKey.startsWith(prefix) && inner.covers(fileKey.substring(prefix.length()));
            }

            @Override
            public String describe() {
                return inner.describe() + " under '" + prefix + "'";
            }
        };
    }

    /** Model keys are file keys. */
    KeyLayout SAME = new KeyLayout() {
        @Override
        public String fileKey(String modelKey) {
            return modelKey;
        }

        @Override
        public String describe() {
            return "the model's own names";
        }
    };
}
