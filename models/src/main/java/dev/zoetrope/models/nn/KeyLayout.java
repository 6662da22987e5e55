package dev.zoetrope.models.nn;

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
