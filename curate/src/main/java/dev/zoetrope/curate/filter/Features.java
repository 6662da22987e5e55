package dev.zoetrope.curate.filter;

import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.curate.signals.ClipSignals;

/**
 * The learned filter's input: the eight signals (sharpness as log(1 + v), since it spans decades) followed by a
 * 2×2×2 colour histogram (the clip's 4×4×4 histogram merged to halves of each channel: coarse, so a few hundred labels
 * suffice), and optionally extra visual features such as pooled VAE-encoder latents (see docs/curation.md).
 */
public final class Features {
    public static final int BASE = 8;
    public static final int COLORS = 8;

    private Features() {}

    public static List<String> names(int extra) {
        List<String> n = new ArrayList<>(List.of("motion", "log_sharpness", "brightness", "dark", "bright", "visible", "border", "text"));
        for (int i = 0; i < COLORS; i++) n.add("color_" + i);
        for (int i = 0; i < extra; i++) n.add("latent_" + i);
        return n;
    }

    public static double[] of(ClipSignals s, float[] extra) {
        int e = extra == null ? 0 : extra.length;
        double[] f = new double[BASE + COLORS + e];
        f[0] = s.motion();
        f[1] = Math.log1p(Math.max(0, s.sharpness()));
        f[2] = s.brightness();
        f[3] = s.dark();
        f[4] = s.bright();
        f[5] = s.visible();
        f[6] = s.border();
        f[7] = s.text();
        for (int i = 0; i < 64; i++) {
            int r = i / 16, g = i / 4 % 4, b = i % 4;
            f[BASE + (r / 2) * 4 + (g / 2) * 2 + b / 2] += s.colors()[i];
        }
        for (int i = 0; i < e; i++) f[BASE + COLORS + i] = extra[i];
        return f;
    }
}
