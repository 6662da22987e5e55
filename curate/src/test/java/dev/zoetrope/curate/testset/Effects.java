package dev.zoetrope.curate.testset;

import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.image.Resizer;

/** Pixel-level degradations of {@link Scene} frames, for detector unit tests that need no video files. */
public final class Effects {
    private Effects() {}

    /** Separable Gaussian blur with standard deviation {@code sigma} pixels. */
    public static Picture blur(Picture p, double sigma) {
        int r = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.length; i++) k[i] /= sum;
        int w = p.width(), h = p.height();
        double[] tmp = new double[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int i = -r; i <= r; i++) s += k[i + r] * p.at(Math.clamp(x + i, 0, w - 1), y, c);
                    tmp[(y * w + x) * 3 + c] = s;
                }
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int i = -r; i <= r; i++) s += k[i + r] * tmp[(Math.clamp(y + i, 0, h - 1) * w + x) * 3 + c];
                    out[(y * w + x) * 3 + c] = (byte) Math.clamp(Math.round(s), 0, 255);
                }
        return new Picture(w, h, out);
    }

    /** Multiplies every value by {@code gain} (fades and under-exposure). */
    public static Picture gain(Picture p, double gain) {
        byte[] out = new byte[p.rgb().length];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Math.clamp(Math.round((p.rgb()[i] & 0xff) * gain), 0, 255);
        return new Picture(p.width(), p.height(), out);
    }

    /** The picture shrunk into the frame with black bars: top and bottom (letterbox) or left and right (pillarbox). */
    public static Picture bars(Picture p, double fraction, boolean letterbox) {
        int w = p.width(), h = p.height();
        int bar = (int) Math.round((letterbox ? h : w) * fraction);
        Picture inner = letterbox ? Resizer.coverCrop(p, w, h - 2 * bar) : Resizer.coverCrop(p, w - 2 * bar, h);
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < inner.height(); y++)
            System.arraycopy(inner.rgb(), y * inner.width() * 3, out,
                    ((y + (letterbox ? bar : 0)) * w + (letterbox ? 0 : bar)) * 3, inner.width() * 3);
        return new Picture(w, h, out);
    }

    /** Burns {@code text} into the lower part of the frame, as the corpus's Java fallback does. */
    public static Picture text(Picture p, String text) {
        return Java2dSubtitles.burnIn(p, text);
    }
}
