package dev.zoetrope.models.pipeline;

/** Progress of one generation, for progress bars and the service's SSE stream. */
public interface GenerationListener {
    /** Called as work advances; {@code fraction} goes from 0 to 1 over text encoding, denoising and decoding. */
    void progress(String stage, double fraction, double etaSeconds);

    /**
     * Finer progress within one stage (e.g. denoising step 12 of 50), for bars that count steps. Called after
     * {@link #progress} for the same moment; ignore it if fractions suffice.
     */
    default void stageStep(String stage, long done, long total) {}

    /** Something the user should know that does not stop the generation (e.g. a size the model was not made for). */
    default void warning(String message) {}

    /** True when the caller wants the generation stopped; checked between steps. */
    default boolean cancelled() {
        return false;
    }

    GenerationListener NONE = (stage, fraction, eta) -> {};
}
