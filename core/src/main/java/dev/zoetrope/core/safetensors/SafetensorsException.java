package dev.zoetrope.core.safetensors;

import java.nio.file.Path;

/** A safetensors file (or sharded checkpoint) is missing, malformed, or does not hold what was asked. */
public class SafetensorsException extends RuntimeException {
    private final Path file;

    public SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public SafetensorsException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in. */
    public Path file() {
        return file;
    }
}
