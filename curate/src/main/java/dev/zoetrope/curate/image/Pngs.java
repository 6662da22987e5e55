package dev.zoetrope.curate.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import javax.imageio.ImageIO;

/** PNG encoding of pictures and horizontal frame strips. */
public final class Pngs {
    private Pngs() {}

    public static BufferedImage toImage(Picture p) {
        BufferedImage img = new BufferedImage(p.width(), p.height(), BufferedImage.TYPE_INT_RGB);
        int[] px = new int[p.width() * p.height()];
        byte[] rgb = p.rgb();
        for (int i = 0, q = 0; i < px.length; i++, q += 3) px[i] = (rgb[q] & 0xff) << 16 | (rgb[q + 1] & 0xff) << 8 | (rgb[q + 2] & 0xff);
        img.setRGB(0, 0, p.width(), p.height(), px, 0, p.width());
        return img;
    }

    public static byte[] encode(Picture p) {
        return encode(toImage(p));
    }

    public static byte[] encode(BufferedImage img) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, "png", out)) throw new IllegalStateException("no PNG writer available");
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Frames side by side, all scaled to {@code height} pixels high. */
    public static Picture strip(List<Picture> frames, int height) {
        if (frames.isEmpty()) throw new IllegalArgumentException("a strip needs frames");
        Picture f0 = frames.getFirst();
        int w = Math.max(1, Math.round((float) f0.width() * height / f0.height()));
        byte[] out = new byte[w * frames.size() * height * 3];
        int stride = w * frames.size() * 3;
        for (int i = 0; i < frames.size(); i++) {
            Picture s = Resizer.coverCrop(frames.get(i), w, height);
            for (int y = 0; y < height; y++) System.arraycopy(s.rgb(), y * w * 3, out, y * stride + i * w * 3, w * 3);
        }
        return new Picture(w * frames.size(), height, out);
    }
}
