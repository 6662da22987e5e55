package dev.zoetrope.curate.testset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.TextLayout;
import java.awt.image.BufferedImage;

import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.image.Resizer;

/** The degradations the validation corpus applies to clean frames. */
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

    /** Burns {@code text} into the lower part of the frame: white glyphs with a dark outline, like subtitles. */
    public static Picture text(Picture p, String text) {
        int w = p.width(), h = p.height();
        BufferedImage img = toImage(p);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        Font font = new Font(Font.SANS_SERIF, Font.BOLD, Math.max(9, h / 7));
        TextLayout layout = new TextLayout(text, font, g.getFontRenderContext());
        double tw = layout.getBounds().getWidth();
        float x = (float) Math.max(2, (w - tw) / 2);
        float y = h - h / 8f;
        var outline = layout.getOutline(java.awt.geom.AffineTransform.getTranslateInstance(x, y));
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(Math.max(1.5f, h / 60f)));
        g.draw(outline);
        g.setColor(Color.WHITE);
        g.fill(outline);
        g.dispose();
        return fromImage(img);
    }

    static BufferedImage toImage(Picture p) {
        BufferedImage img = new BufferedImage(p.width(), p.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < p.height(); y++)
            for (int x = 0; x < p.width(); x++)
                img.setRGB(x, y, p.at(x, y, 0) << 16 | p.at(x, y, 1) << 8 | p.at(x, y, 2));
        return img;
    }

    static Picture fromImage(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = img.getRGB(x, y), q = (y * w + x) * 3;
                out[q] = (byte) (v >> 16);
                out[q + 1] = (byte) (v >> 8);
                out[q + 2] = (byte) v;
            }
        return new Picture(w, h, out);
    }
}
