package dev.zoetrope.core.config;

import dev.zoetrope.core.InvalidRequestException;

/** A config or sidecar file is missing or does not say what it must. */
public class ConfigException extends InvalidRequestException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
