package dev.zoetrope.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;

/**
 * A resumable output directory records the settings it was made with in a JSON file; a later run may continue
 * it only with equal settings, so clips made two ways never mix.
 */
public final class DirectoryManifest {
    private DirectoryManifest() {}

    /**
     * Writes {@code wanted} to {@code file} when it does not exist yet; otherwise refuses, naming both, unless the
     * recorded settings equal {@code wanted}.
     */
    public static <T> void claim(Path file, T wanted, Class<T> type, Function<T, String> describe) throws IOException {
        if (Files.exists(file)) {
            T found = Json.read(file, type);
            if (!found.equals(wanted))
                throw new InvalidRequestException(file.getParent() + " already holds clips made with " + describe.apply(found)
                        + "; this run asks for " + describe.apply(wanted) + ". Use another --out directory.");
            return;
        }
        Json.write(file, wanted);
    }
}
