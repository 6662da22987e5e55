package dev.zoetrope.curate.image;

/**
 * Scales an image to cover a target size, keeping its aspect ratio, then crops the centre. Downscaling averages
 * the source pixels under each target pixel (box filter), so fine detail does not alias; upscaling is bilinear.
 */
public final class Resizer {
    private Resizer() {}

    /** {@code src} scaled to cover {@code w × h} and centre-cropped to exactly that size. */
    public static Picture coverCrop(Picture src, int w, int h) {
        if (src.width() == w && src.height() == h) return src;
        double scale = Math.max((double) w / src.width(), (double) h / src.height());
        // The source rectangle that maps onto the target after scaling.
        double sw = w / scale, sh = h / scale;
        double x0 = (src.width() - sw) / 2, y0 = (src.height() - sh) / 2;
        return scale < 1 ? box(src, x0, y0, sw, sh, w, h) : bilinear(src, x0, y0, sw, sh, w, h);
    }

    /** The centred {@code w × h} window of {@code src} (which must be at least that large). */
    public static Picture centerCrop(Picture src, int w, int h) {
        if (src.width() == w && src.height() == h) return src;
        if (src.width() < w || src.height() < h)
            throw new IllegalArgumentException("cannot crop " + w + "x" + h + " from " + src.width() + "x" + src.height());
        int x0 = (src.width() - w) / 2, y0 = (src.height() - h) / 2;
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) System.arraycopy(src.rgb(), ((y0 + y) * src.width() + x0) * 3, out, y * w * 3, w * 3);
        return new Picture(w, h, out);
    }

    /** Plain scale of the whole image to {@code w × h} (aspect not kept). */
    public static Picture scale(Picture src, int w, int h) {
        if (src.width() == w && src.height() == h) return src;
        double sw = src.width(), sh = src.height();
        return w <= sw && h <= sh ? box(src, 0, 0, sw, sh, w, h) : bilinear(src, 0, 0, sw, sh, w, h);
    }

    private static Picture box(Picture src, double x0, double y0, double sw, double sh, int w, int h) {
        byte[] out = new byte[w * h * 3];
        byte[] in = src.rgb();
        int W = src.width();
        double fx = sw / w, fy = sh / h;
        for (int y = 0; y < h; y++) {
            int ya = (int) Math.floor(y0 + y * fy), yb = Math.max(ya + 1, (int) Math.ceil(y0 + (y + 1) * fy));
            yb = Math.min(yb, src.height());
            for (int x = 0; x < w; x++) {
                int xa = (int) Math.floor(x0 + x * fx), xb = Math.max(xa + 1, (int) Math.ceil(x0 + (x + 1) * fx));
                xb = Math.min(xb, W);
                int r = 0, g = 0, b = 0, n = 0;
                for (int yy = ya; yy < yb; yy++) {
                    int p = (yy * W + xa) * 3;
                    for (int xx = xa; xx < xb; xx++, p += 3) {
                        r += in[p] & 0xff;
                        g += in[p + 1] & 0xff;
                        b += in[p + 2] & 0xff;
                        n++;
                    }
                }
                int q = (y * w + x) * 3;
                out[q] = (byte) ((r + n / 2) / n);
                out[q + 1] = (byte) ((g + n / 2) / n);
                out[q + 2] = (byte) ((b + n / 2) / n);
            }
        }
        return new Picture(w, h, out);
    }

    private static Picture bilinear(Picture src, double x0, double y0, double sw, double sh, int w, int h) {
        byte[] out = new byte[w * h * 3];
        int W = src.width(), H = src.height();
        for (int y = 0; y < h; y++) {
            double sy = Math.clamp(y0 + (y + 0.5) * sh / h - 0.5, 0, H - 1);
            int ya = (int) sy, yb = Math.min(ya + 1, H - 1);
            double ty = sy - ya;
            for (int x = 0; x < w; x++) {
                double sx = Math.clamp(x0 + (x + 0.5) * sw / w - 0.5, 0, W - 1);
                int xa = (int) sx, xb = Math.min(xa + 1, W - 1);
                double tx = sx - xa;
                for (int c = 0; c < 3; c++) {
                    double v = (1 - ty) * ((1 - tx) * src.at(xa, ya, c) + tx * src.at(xb, ya, c))
                            + ty * ((1 - tx) * src.at(xa, yb, c) + tx * src.at(xb, yb, c));
                    out[(y * w + x) * 3 + c] = (byte) Math.round(v);
                }
            }
        }
        return new Picture(w, h, out);
    }
}
