package dev.zoetrope.curate.signals;

import dev.zoetrope.curate.image.Picture;

/** An 8-bit luma plane (BT.601 weights, rounded), the common input of the per-frame signals. */
public record Luma(int width, int height, byte[] y) {
    public static Luma of(Picture p) {
        byte[] rgb = p.rgb();
        byte[] y = new byte[p.width() * p.height()];
        for (int i = 0, q = 0; i < y.length; i++, q += 3)
            y[i] = (byte) ((299 * (rgb[q] & 0xff) + 587 * (rgb[q + 1] & 0xff) + 114 * (rgb[q + 2] & 0xff) + 500) / 1000);
        return new Luma(p.width(), p.height(), y);
    }

    public int at(int x, int y) {
        return this.y[y * width + x] & 0xff;
    }
}
