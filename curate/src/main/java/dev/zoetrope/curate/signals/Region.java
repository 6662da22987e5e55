package dev.zoetrope.curate.signals;

/** A rectangle [x0, x1) × [y0, y1) of a frame: the picture area inside any letterbox or pillarbox bars. */
public record Region(int x0, int y0, int x1, int y1) {
    public static Region full(int width, int height) {
        return new Region(0, 0, width, height);
    }

    public int width() {
        return x1 - x0;
    }

    public int height() {
        return y1 - y0;
    }
}
