package dev.zoetrope.video;

import java.nio.file.Path;

/** Smooth synthetic pictures for round-trip tests. */
final class TestClips {
    private TestClips() {}

    /** A smooth colour field that drifts with {@code t}: gradients plus a soft moving blob. */
    static byte[] smooth(int w, int h, int t) {
        byte[] rgb = new byte[w * h * 3];
        double bx = w * (0.3 + 0.02 * t), by = h * 0.5, radius = Math.max(w, h) * 0.25;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double d2 = ((x - bx) * (x - bx) + (y - by) * (y - by)) / (radius * radius);
                double blob = 90 * Math.exp(-d2);
                int o = (y * w + x) * 3;
                rgb[o] = (byte) clamp(40 + 150.0 * x / w + blob);
                rgb[o + 1] = (byte) clamp(60 + 120.0 * y / h + 2 * t);
                rgb[o + 2] = (byte) clamp(200 - 120.0 * x / w + blob * 0.5);
            }
        }
        return rgb;
    }

    /** A flat picture whose grey level encodes {@code index}, to recognise frames after seeking. */
    static byte[] numbered(int w, int h, int index) {
        byte[] rgb = new byte[w * h * 3];
        java.util.Arrays.fill(rgb, (byte) level(index));
        return rgb;
    }

    static int level(int index) {
        return 20 + 4 * index;
    }

    /** Recovers the index {@link #numbered} encoded. */
    static int numberOf(Frame f) {
        long sum = 0;
        for (byte b : f.rgb()) sum += b & 0xff;
        double mean = (double) sum / f.rgb().length;
        return (int) Math.round((mean - 20) / 4);
    }

    static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    /** Mean absolute difference over the top-left {@code w × h} of two RGB pictures of widths aw, bw. */
    static double meanAbsError(byte[] a, int aw, byte[] b, int bw, int w, int h) {
        long sum = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w * 3; x++) sum += Math.abs((a[y * aw * 3 + x] & 0xff) - (b[y * bw * 3 + x] & 0xff));
        }
        return (double) sum / (w * h * 3);
    }

    static Path writeSmooth(Path file, int w, int h, double fps, int frames) {
        try (Mp4Writer out = Mp4Writer.open(file, w, h, fps)) {
            for (int t = 0; t < frames; t++) out.write(smooth(w, h, t));
        }
        return file;
    }
}
