package dev.zoetrope.curate.shots;

/** Frames [start, end) of one shot. */
public record Shot(int start, int end) implements java.io.Serializable {
    public int length() {
        return end - start;
    }
}
