package dev.zoetrope.video;

/** A video could not be read or written; the message names the file and the cause. */
public class VideoException extends RuntimeException {
    public VideoException(String message) {
        super(message);
    }

    public VideoException(String message, Throwable cause) {
        super(message, cause);
    }
}
