package dev.zoetrope.core.engine;

/** The tensor engine could not start or was asked for something it cannot do. */
public class EngineException extends RuntimeException {
    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
