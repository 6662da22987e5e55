package dev.zoetrope.video;

/** Frames one at a time, in order: a decoded file or a generated source. Not thread-safe. */
public interface FrameSource extends AutoCloseable {
    /** The next frame, or {@code null} at the end. */
    Frame next();

    /** Frees the native decoder state; idempotent. */
    @Override
    void close();
}
