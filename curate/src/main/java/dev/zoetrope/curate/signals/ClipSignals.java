package dev.zoetrope.curate.signals;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything measured on one clip (see docs/curation.md for each formula).
 *
 * @param motion     mean absolute luma difference between consecutive frames (0–255 scale)
 * @param sharpness  mean variance of the Laplacian over sampled frames, picture area only
 * @param brightness mean luma / 255 of the picture area
 * @param dark       fraction of picture-area pixels with luma below 20
 * @param bright     fraction of picture-area pixels with luma above 235
 * @param visible    fraction of picture-area pixels with luma at or above 48 (how much of the picture can be seen)
 * @param border     largest fraction of the frame covered by letterbox or pillarbox bars
 * @param text       burned-in text score (largest band density of persistent thin strokes)
 * @param hashes     64-bit DCT perceptual hashes of the mean pictures of the clip's first, middle and last thirds
 * @param colors     normalised 4×4×4 RGB histogram of the sampled frames (a small visual feature)
 */
public record ClipSignals(double motion, double sharpness, double brightness, double dark, double bright,
                          double visible, double border, double text, long[] hashes, float[] colors) implements Serializable {
    /** Changes whenever a signal's definition does, so clips measured by an older version are measured again. */
    public static final int VERSION = 2;

    /** The named numeric signals, in a fixed order (the learned filter's base features). */
    public Map<String, Double> named() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("motion", motion);
        m.put("sharpness", sharpness);
        m.put("brightness", brightness);
        m.put("dark", dark);
        m.put("bright", bright);
        m.put("visible", visible);
        m.put("border", border);
        m.put("text", text);
        return m;
    }
}
