package dev.zoetrope.train.eval;

import dev.zoetrope.train.synth.ClipDetector.Detection;
import dev.zoetrope.train.synth.SynthSpec.Combination;

/** What the detector read from one clip, against what its prompt asked for. */
public record ClipScore(EvalClip clip, Detection detection) {
    private Combination wanted() {
        return clip.prompt().combination();
    }

    public boolean colorOk() {
        return detection.color() == wanted().color();
    }

    public boolean shapeOk() {
        return detection.shape() == wanted().shape();
    }

    public boolean directionOk() {
        return detection.direction() == wanted().direction();
    }

    public boolean backgroundOk() {
        return detection.background() == clip.prompt().background();
    }

    public boolean allOk() {
        return colorOk() && shapeOk() && directionOk();
    }

    /** e.g. {@code red circle left}, with {@code none} where nothing was found. */
    public String detected() {
        return detection.colorName() + " " + detection.shapeName() + " " + detection.directionName();
    }
}
