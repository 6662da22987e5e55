package dev.zoetrope.curate.clips;

/**
 * One clip window inside a shot: output frame k shows source frame {@code sourceFrames[k]} (nearest frame in time to
 * {@code startS + k / fps}).
 */
public record ClipWindow(int shot, double startS, double endS, int[] sourceFrames) implements java.io.Serializable {
    public int frames() {
        return sourceFrames.length;
    }

    public int firstSource() {
        return sourceFrames[0];
    }

    public int lastSource() {
        return sourceFrames[sourceFrames.length - 1];
    }
}
