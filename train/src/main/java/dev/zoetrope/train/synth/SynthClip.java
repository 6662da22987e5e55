package dev.zoetrope.train.synth;

import dev.zoetrope.train.synth.SynthSpec.Combination;

/**
 * One planned clip: what moves, where and how fast. Positions are in pixels with (0, 0) at the top-left
 * corner of the picture; the object's box centre moves by (velocityX, velocityY) per frame.
 *
 * @param size the object's box side in pixels (circle diameter, square side, triangle base and height)
 * @param startX the box centre at frame 0
 * @param heldOut whether the combination is held out of training
 */
public record SynthClip(String id, int index, Combination combination, int background, int template, int width,
                        int height, int frames, double fps, double size, double startX, double startY, double velocityX,
                        double velocityY, boolean heldOut) {

    public SynthSpec.Rgb color() {
        return SynthSpec.PALETTE.get(combination.color());
    }

    public SynthSpec.Shape shape() {
        return SynthSpec.SHAPES.get(combination.shape());
    }

    public SynthSpec.Direction direction() {
        return SynthSpec.MOTIONS.get(combination.direction());
    }

    public SynthSpec.Rgb backgroundColor() {
        return SynthSpec.BACKGROUND_PALETTE.get(background);
    }

    public String split() {
        if (combination.novelColor()) return "novel";
        if (combination.novelMotion()) return "novel-motion";
        return SynthSpec.novelBackground(background) ? "novel-background" : heldOut ? "heldout" : "train";
    }

    public String caption() {
        return SynthSpec.caption(template, combination, background);
    }

    public String canonicalCaption() {
        return SynthSpec.canonicalCaption(combination, background);
    }

    public double centerX(int frame) {
        return startX + velocityX * frame;
    }

    public double centerY(int frame) {
        return startY + velocityY * frame;
    }

    /** The object's area centroid: the box centre, except a triangle's sits a sixth of its height lower. */
    public double[] centroid(int frame) {
        double dy = shape() == SynthSpec.Shape.TRIANGLE ? size / 6 : 0;
        return new double[]{centerX(frame), centerY(frame) + dy};
    }

    /** The object's box [x0, y0, x1, y1]. */
    public double[] bbox(int frame) {
        double h = size / 2;
        return new double[]{centerX(frame) - h, centerY(frame) - h, centerX(frame) + h, centerY(frame) + h};
    }
}
