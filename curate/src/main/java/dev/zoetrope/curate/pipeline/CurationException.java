package dev.zoetrope.curate.pipeline;

/** A curation run stopped on a limit of the machine it runs on (its Java heap, for one); the message says which. */
public class CurationException extends RuntimeException {
    public CurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
