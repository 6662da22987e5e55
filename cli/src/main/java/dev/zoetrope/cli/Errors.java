package dev.zoetrope.cli;

import java.io.IOException;
import java.io.UncheckedIOException;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.engine.EngineException;
import dev.zoetrope.core.safetensors.SafetensorsException;

/** Which failures are the user's to fix (bad input, missing files) rather than bugs. */
final class Errors {
    private Errors() {}

    static boolean isUserError(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof SafetensorsException || e instanceof ConfigException || e instanceof EngineException
                || e instanceof IOException || e instanceof UncheckedIOException
                || e.getClass().getName().startsWith("dev.zoetrope.") && e instanceof RuntimeException;
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null)
            return fse.getFile() + ": " + fse.getReason();
        return m == null ? e.toString() : m;
    }
}
