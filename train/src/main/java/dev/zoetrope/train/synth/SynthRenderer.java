package dev.zoetrope.train.synth;

import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.video.Frame;

/**
 * Draws a {@link SynthClip}'s frames. Edges are anti-aliased by 4×4 supersampling; pixels the object fully
 * covers have exactly its palette colour, and the background is exactly the background colour.
 */
public final class SynthRenderer {
    private static final int SUB = 4;

    private SynthRenderer() {}

    public static List<Frame> render(SynthClip clip) {
        List<Frame> frames = new ArrayList<>(clip.frames());
        for (int i = 0; i < clip.frames(); i++) frames.add(new Frame(clip.width(), clip.height(), frame(clip, i), i, i / clip.fps()));
        return frames;
    }

    /** Frame {@code i} as RGB24. */
    public static byte[] frame(SynthClip clip, int i) {
        int w = clip.width(), h = clip.height();
        SynthSpec.Rgb bg = clip.backgroundColor(), fg = clip.color();
        byte[] rgb = new byte[w * h * 3];
        for (int p = 0; p < w * h; p++) {
            rgb[p * 3] = (byte) bg.r();
            rgb[p * 3 + 1] = (byte) bg.g();
            rgb[p * 3 + 2] = (byte) bg.b();
        }
        double[] box = clip.bbox(i);
        int x0 = Math.max(0, (int) Math.floor(box[0])), x1 = Math.min(w - 1, (int) Math.ceil(box[2]));
        int y0 = Math.max(0, (int) Math.floor(box[1])), y1 = Math.min(h - 1, (int) Math.ceil(box[3]));
        double cx = clip.centerX(i), cy = clip.centerY(i);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                int covered = 0;
                for (int sy = 0; sy < SUB; sy++) {
                    for (int sx = 0; sx < SUB; sx++) {
                        double px = x + (sx + 0.5) / SUB, py = y + (sy + 0.5) / SUB;
                        if (inside(clip.shape(), px - cx, py - cy, clip.size())) covered++;
                    }
                }
                if (covered == 0) continue;
                double a = (double) covered / (SUB * SUB);
                int o = (y * w + x) * 3;
                rgb[o] = (byte) Math.round(bg.r() + a * (fg.r() - bg.r()));
                rgb[o + 1] = (byte) Math.round(bg.g() + a * (fg.g() - bg.g()));
                rgb[o + 2] = (byte) Math.round(bg.b() + a * (fg.b() - bg.b()));
            }
        }
        return rgb;
    }

    /** Whether the point (dx, dy) from the box centre is inside the shape of box side {@code s}. */
    static boolean inside(SynthSpec.Shape shape, double dx, double dy, double s) {
        double h = s / 2;
        return switch (shape) {
            case CIRCLE -> dx * dx + dy * dy <= h * h;
            case SQUARE -> Math.abs(dx) <= h && Math.abs(dy) <= h;
            // Apex at the top centre, base along the bottom edge: half-width grows from 0 to s/2.
            case TRIANGLE -> dy >= -h && dy <= h && Math.abs(dx) <= (dy + h) / 2;
        };
    }
}
