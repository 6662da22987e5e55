package dev.zoetrope.curate.labels;

/** The label database or a label file could not be used; the message names it. */
public class LabelException extends RuntimeException {
    public LabelException(String message) {
        super(message);
    }

    public LabelException(String message, Throwable cause) {
        super(message, cause);
    }
}
