package dev.zoetrope.models.pipeline;

/**
 * Where decoded frames go: an mp4 and optionally PNG frames and a GIF. Nothing appears at the final paths unless
 * {@link #finish} succeeds; {@link #abort} discards everything written so far.
 */
public interface ClipWriter {
    /** One frame, {@code height·width·3} bytes of RGB, row-major. */
    void frame(byte[] rgb);

    void finish();

    void abort();

}
