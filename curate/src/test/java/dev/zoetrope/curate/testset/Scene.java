package dev.zoetrope.curate.testset;

import java.util.SplittableRandom;

import dev.zoetrope.curate.image.Picture;

/**
 * A procedural shot rendered in Java, for detector unit tests that need frames without video files (the validation
 * corpus itself comes from FFmpeg's sources, see {@link FilterScene}): a drifting two-colour gradient with a fine
 * ripple texture and a few moving shapes (discs and boxes) of contrasting colours. Everything is a pure function of
 * (seed, frame, size), so the same scene can be rendered again at another size to make a near-duplicate.
 * {@code speed} 0 freezes it (a static shot).
 */
public final class Scene {
    private final double hue;
    private final double[] bgA, bgB;
    private final double driftX, driftY, ripple, ripplePhase;
    private final Blob[] blobs;
    private final double speed;

    private record Blob(boolean disc, double x, double y, double vx, double vy, double size, double[] rgb) {}

    public Scene(long seed, double hue, double speed) {
        SplittableRandom r = new SplittableRandom(seed);
        this.hue = hue;
        this.speed = speed;
        this.bgA = hsv(hue, 0.55 + 0.3 * r.nextDouble(), 0.55 + 0.3 * r.nextDouble());
        this.bgB = hsv(hue + 40 + 40 * r.nextDouble(), 0.5 + 0.3 * r.nextDouble(), 0.35 + 0.3 * r.nextDouble());
        this.driftX = (r.nextDouble() - 0.5) * 0.02;
        this.driftY = (r.nextDouble() - 0.5) * 0.02;
        this.ripple = 0.5 + r.nextDouble() * 0.4;
        this.ripplePhase = r.nextDouble() * 6.28;
        int n = 3 + r.nextInt(3);
        blobs = new Blob[n];
        for (int i = 0; i < n; i++) {
            double angle = r.nextDouble() * 2 * Math.PI;
            double v = 0.004 + 0.006 * r.nextDouble();
            blobs[i] = new Blob(r.nextBoolean(), 0.15 + 0.7 * r.nextDouble(), 0.15 + 0.7 * r.nextDouble(),
                    Math.cos(angle) * v, Math.sin(angle) * v, 0.08 + 0.1 * r.nextDouble(),
                    hsv(hue + 120 + 120 * r.nextDouble(), 0.6 + 0.4 * r.nextDouble(), 0.7 + 0.3 * r.nextDouble()));
        }
    }

    public double hue() {
        return hue;
    }

    public Picture render(int frame, int w, int h) {
        double t = frame * speed;
        byte[] out = new byte[w * h * 3];
        double aspect = (double) w / h;
        for (int y = 0; y < h; y++) {
            double v = (y + 0.5) / h;
            for (int x = 0; x < w; x++) {
                double u = (x + 0.5) / w;
                double g = 0.5 + 0.5 * Math.sin(3.0 * (u + driftX * t) + 2.0 * (v + driftY * t) + ripplePhase);
                // Fine texture in picture coordinates, so it scales with the frame (re-renders stay alike).
                double tex = 1 + 0.12 * ripple * Math.sin(60 * u * aspect + 2.1 * Math.sin(17 * v) + 0.3 * t)
                        * Math.sin(48 * v + 0.2 * t);
                double[] c = new double[3];
                for (int k = 0; k < 3; k++) c[k] = (bgA[k] * g + bgB[k] * (1 - g)) * tex;
                for (Blob b : blobs) {
                    double bx = bounce(b.x + b.vx * t), by = bounce(b.y + b.vy * t);
                    double dx = (u - bx) * aspect, dy = v - by;
                    boolean inside = b.disc ? dx * dx + dy * dy < b.size * b.size
                            : Math.abs(dx) < b.size && Math.abs(dy) < b.size * 0.7;
                    if (inside) {
                        double shade = 0.85 + 0.15 * Math.sin(30 * (dx + dy));
                        for (int k = 0; k < 3; k++) c[k] = b.rgb[k] * shade;
                    }
                }
                int q = (y * w + x) * 3;
                for (int k = 0; k < 3; k++) out[q + k] = (byte) Math.clamp(Math.round(c[k] * 255), 0, 255);
            }
        }
        return new Picture(w, h, out);
    }

    private static double bounce(double p) {
        double m = ((p % 2) + 2) % 2;
        return 0.1 + 0.8 * (m <= 1 ? m : 2 - m);
    }

    private static double[] hsv(double hDeg, double s, double v) {
        return FilterScene.Hsv.rgb(hDeg, s, v);
    }
}
