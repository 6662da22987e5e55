package dev.zoetrope.core;

/**
 * The user's input is wrong: a request value, a command-line option, or a file or directory they named, including
 * its state (a run directory that already holds checkpoints, a data directory another server holds). Its message is
 * written for them and says what to change.
 *
 * <p>Front ends decide by this type, not by JDK types, whether a failure is the user's to fix: a CLI prints the
 * message on one line, the service fails the job as an invalid request. An {@link IllegalArgumentException} stays
 * what the JDK means by it, a caller (our code) breaking a method's contract, and is reported as an internal error;
 * so does an {@link IllegalStateException}, an object used in a state our code should never have put it in.
 */
public class InvalidRequestException extends RuntimeException {
    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
