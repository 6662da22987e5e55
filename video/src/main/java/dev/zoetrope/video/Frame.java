package dev.zoetrope.video;

/**
 * One decoded picture.
 *
 * @param rgb RGB24, row-major, {@code width * height * 3} bytes
 * @param index the frame's position in its video (0-based)
 * @param timeSeconds its presentation time from the start of the video
 */
public record Frame(int width, int height, byte[] rgb, long index, double timeSeconds) {
    public Frame {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("frame size must be positive: " + width + "x" + height);
        if (rgb == null || rgb.length != (long) width * height * 3)
            throw new IllegalArgumentException("frame " + width + "x" + height + " needs " + (long) width * height * 3
                    + " RGB bytes, got " + (rgb == null ? "none" : rgb.length));
    }

    /** The pixel at (x, y) as 0xRRGGBB. */
    public int rgbAt(int x, int y) {
        int o = (y * width + x) * 3;
        return (rgb[o] & 0xff) << 16 | (rgb[o + 1] & 0xff) << 8 | rgb[o + 2] & 0xff;
    }
}
