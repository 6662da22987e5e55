package dev.zoetrope.curate.filter;

import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.curate.signals.ClipSignals;

/**
 * The learned filter's input: the seven signals (sharpness as log(1 + v), since it spans decades) followed by the
 * 64-bin colour histogram, and optionally pooled VAE-encoder latents when a VAE is given (see docs/curation.md).
 */
public final class Features {
    private Features() {}

    public static List<String> names(int extra) {
        List<String> n = new ArrayList<>(List.of("motion", "log_sharpness", "brightness", "dark", "bright", "border", "text"));
        for (int i = 0; i < 64; i++) n.add("color_" + i);
        for (int i = 0; i < extra; i++) n.add("latent_" + i);
        return n;
    }

    public static double[] of(ClipSignals s, float[] extra) {
        int e = extra == null ? 0 : extra.length;
        double[] f = new double[7 + 64 + e];
        f[0] = s.motion();
        f[1] = Math.log1p(Math.max(0, s.sharpness()));
        f[2] = s.brightness();
        f[3] = s.dark();
        f[4] = s.bright();
        f[5] = s.border();
        f[6] = s.text();
        for (int i = 0; i < 64; i++) f[7 + i] = s.colors()[i];
        for (int i = 0; i < e; i++) f[71 + i] = extra[i];
        return f;
    }
}
