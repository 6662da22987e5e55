package dev.zoetrope.curate.shots;

import dev.zoetrope.curate.image.Picture;

/**
 * The content value between consecutive frames: the mean absolute difference of hue, saturation and value, averaged
 * over the three channels. HSV is in the 8-bit convention (H in [0,180), S and V in [0,255]); hue differences are
 * taken plainly, without wrap-around, as the reference detector does.
 */
public final class HsvDifference {
    private short[] previous;

    /** Converts a frame to packed H,S,V planes. */
    static short[] hsv(Picture p) {
        byte[] rgb = p.rgb();
        int n = p.width() * p.height();
        short[] out = new short[n * 3];
        for (int i = 0, q = 0; i < n; i++, q += 3) {
            int r = rgb[q] & 0xff, g = rgb[q + 1] & 0xff, b = rgb[q + 2] & 0xff;
            int v = Math.max(r, Math.max(g, b));
            int min = Math.min(r, Math.min(g, b));
            int d = v - min;
            int s = v == 0 ? 0 : (255 * d + v / 2) / v;
            double h;
            if (d == 0) h = 0;
            else if (v == r) h = 60.0 * (g - b) / d;
            else if (v == g) h = 120 + 60.0 * (b - r) / d;
            else h = 240 + 60.0 * (r - g) / d;
            if (h < 0) h += 360;
            out[q] = (short) Math.round(h / 2) ;
            out[q + 1] = (short) s;
            out[q + 2] = (short) v;
        }
        return out;
    }

    /** The content value between the previous frame and this one; NaN for the first frame. */
    public double next(Picture frame) {
        short[] cur = hsv(frame);
        double value = Double.NaN;
        if (previous != null && previous.length == cur.length) {
            long dh = 0, ds = 0, dv = 0;
            for (int i = 0; i < cur.length; i += 3) {
                dh += Math.abs(cur[i] - previous[i]);
                ds += Math.abs(cur[i + 1] - previous[i + 1]);
                dv += Math.abs(cur[i + 2] - previous[i + 2]);
            }
            double n = cur.length / 3.0;
            value = (dh / n + ds / n + dv / n) / 3.0;
        }
        previous = cur;
        return value;
    }
}
