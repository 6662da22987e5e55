package dev.zoetrope.models.nn;

import dev.zoetrope.core.InvalidRequestException;

/** Weights do not fit the model: a tensor is missing, has the wrong shape, or an unexpected dtype. */
public class ModelLoadException extends InvalidRequestException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
