package dev.zoetrope.curate.testset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.TextLayout;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;

import dev.zoetrope.curate.image.Picture;

/**
 * Subtitle-like burned-in text drawn with Java2D: white glyphs with a dark outline, centred in the lower part of the
 * frame. The corpus uses FFmpeg's drawtext when a font file is installed and falls back to this otherwise.
 */
public final class Java2dSubtitles {
    private Java2dSubtitles() {}

    /** The font size both renderers use for a frame {@code height} pixels high. */
    static int fontSize(int height) {
        return Math.max(9, height / 7);
    }

    public static Picture burnIn(Picture p, String text) {
        int w = p.width(), h = p.height();
        BufferedImage img = toImage(p);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        Font font = new Font(Font.SANS_SERIF, Font.BOLD, fontSize(h));
        TextLayout layout = new TextLayout(text, font, g.getFontRenderContext());
        double tw = layout.getBounds().getWidth();
        float x = (float) Math.max(2, (w - tw) / 2);
        float y = h - h / 8f;
        var outline = layout.getOutline(AffineTransform.getTranslateInstance(x, y));
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(Math.max(1.5f, h / 60f)));
        g.draw(outline);
        g.setColor(Color.WHITE);
        g.fill(outline);
        g.dispose();
        return fromImage(img);
    }

    private static BufferedImage toImage(Picture p) {
        BufferedImage img = new BufferedImage(p.width(), p.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < p.height(); y++)
            for (int x = 0; x < p.width(); x++)
                img.setRGB(x, y, p.at(x, y, 0) << 16 | p.at(x, y, 1) << 8 | p.at(x, y, 2));
        return img;
    }

    private static Picture fromImage(BufferedImage img) {
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
