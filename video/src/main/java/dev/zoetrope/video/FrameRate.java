package dev.zoetrope.video;

/**
 * A frame rate as an exact fraction, so timestamps stay exact: 24 → 24/1, 23.976 → 24000/1001, 12.5 → 25/2.
 */
record FrameRate(int num, int den) {
    FrameRate {
        if (num <= 0 || den <= 0) throw new IllegalArgumentException("frame rate must be positive: " + num + "/" + den);
    }

    static FrameRate of(double fps) {
        if (!(fps > 0) || fps > 10_000 || Double.isInfinite(fps))
            throw new IllegalArgumentException("frame rate must be in (0, 10000] fps, got " + fps);
        long whole = Math.round(fps);
        if (Math.abs(fps - whole) < 1e-6) return new FrameRate((int) whole, 1);
        // The NTSC family: 23.976, 29.97, 59.94 are n*1000/1001 (within the rounding of their usual spelling).
        long ntsc = Math.round(fps * 1.001);
        if (Math.abs(fps - ntsc * 1000.0 / 1001.0) < 0.0015) return new FrameRate((int) (ntsc * 1000), 1001);
        // Otherwise the closest fraction with a small denominator.
        for (int den = 2; den <= 1000; den++) {
            long n = Math.round(fps * den);
            if (Math.abs(fps - (double) n / den) < 1e-9 * Math.max(1, fps)) return reduced(n, den);
        }
        return reduced(Math.round(fps * 100_000), 100_000);
    }

    private static FrameRate reduced(long n, long d) {
        long a = n, b = d;
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return new FrameRate((int) (n / a), (int) (d / a));
    }

    double fps() {
        return (double) num / den;
    }
}
