package dev.zoetrope.video;

/** A video declares a picture larger than the caller accepts; refused before any frame is decoded. */
public class VideoTooLargeException extends VideoException {
    private final int width, height;

    public VideoTooLargeException(String message, int width, int height) {
        super(message);
        this.width = width;
        this.height = height;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }
}
