package dev.zoetrope.curate.image;

/** One RGB24 image: {@code rgb} holds height × width × 3 bytes, row-major, no padding. */
public record Picture(int width, int height, byte[] rgb) {
    public Picture {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("picture size " + width + "x" + height);
        if (rgb.length != width * height * 3)
            throw new IllegalArgumentException("picture " + width + "x" + height + " needs " + width * height * 3 + " bytes, got " + rgb.length);
    }

    public static Picture blank(int width, int height) {
        return new Picture(width, height, new byte[width * height * 3]);
    }

    /** Red, green or blue (c = 0, 1, 2) of pixel (x, y), 0–255. */
    public int at(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }

    /** Luma plane (BT.601 weights), 0–255 per pixel. */
    public float[] luma() {
        float[] y = new float[width * height];
        for (int i = 0, p = 0; i < y.length; i++, p += 3)
            y[i] = 0.299f * (rgb[p] & 0xff) + 0.587f * (rgb[p + 1] & 0xff) + 0.114f * (rgb[p + 2] & 0xff);
        return y;
    }
}
