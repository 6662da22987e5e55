package dev.zoetrope.core.progress;

/** A generation stopped because its listener asked for it. No output was written. */
public class GenerationCancelledException extends RuntimeException {
    public GenerationCancelledException() {
        super("generation cancelled");
    }
}
