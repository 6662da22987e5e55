package dev.zoetrope.curate.vlm;

/** The chat-completions endpoint could not be used or gave an answer that cannot be read. */
public class VlmException extends RuntimeException {
    public VlmException(String message) {
        super(message);
    }

    public VlmException(String message, Throwable cause) {
        super(message, cause);
    }
}
