package dev.zoetrope.api;

/** Progress of one {@link Generator#generate} call, on the generating thread. */
@FunctionalInterface
public interface Listener {
    /**
     * @param stage    {@code encoding text}, {@code denoising} or {@code decoding}
     * @param fraction of the whole generation done, 0 to 1
     */
    void progress(String stage, double fraction);

    /** Something worth knowing that does not stop the generation (e.g. a size the model was not made for). */
    default void warning(String message) {}

    /** Return true to stop the generation at the next step or frame ({@link Generator#generate} then throws). */
    default boolean cancelled() {
        return false;
    }

    Listener NONE = (stage, fraction) -> {};
}
