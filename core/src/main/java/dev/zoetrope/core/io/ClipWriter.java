package dev.zoetrope.core.io;

/**
 * Where a generated clip's frames go: files (the video module's {@code ClipFiles}) or memory. Nothing appears at a
 * final path unless {@link #finish} succeeds; {@link #abort} discards everything written so far. It lives here so
 * that the models need no video library.
 */
public interface ClipWriter {
    /** One frame, {@code height·width·3} bytes of RGB, row-major. */
    void frame(byte[] rgb);

    void finish();

    void abort();

    /** Opens the writer for one clip; {@code path} is where its video goes (a writer in memory ignores it). */
    @FunctionalInterface
    interface Factory {
        ClipWriter open(java.nio.file.Path path, int width, int height, int fps);

        /** The writer for a clip whose container should carry {@code metadata} (the clip's settings); ignored by default. */
        default ClipWriter open(java.nio.file.Path path, int width, int height, int fps, java.util.Map<String, String> metadata) {
            return open(path, width, height, fps);
        }
    }
}
