package dev.zoetrope.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes that are never seen half-done: data goes to a temporary file beside the target, is flushed to
 * disk, then renamed over the target. A failure (full disk, interruption) leaves the old target intact
 * and removes the temporary file.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    @FunctionalInterface
    public interface Body {
        void write(Path tmp) throws IOException;
    }

    @FunctionalInterface
    public interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    /** Lets {@code body} fill a temporary file, then renames it to {@code target}. */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".part");
        boolean done = false;
        try {
            body.write(tmp);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            move(tmp, abs);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    public static void writeStream(Path target, StreamBody body) throws IOException {
        write(target, tmp -> {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                body.write(out);
            }
        });
    }

    public static void writeString(Path target, String text) throws IOException {
        writeStream(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        writeStream(target, out -> out.write(bytes));
    }

    /**
     * Temporary files are created owner-only; a finished output gets the usual rw-r--r-- so that other users
     * and services (a web server, a player) can read it.
     */
    public static void makeReadable(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its defaults apply
        }
    }

    private static void move(Path tmp, Path target) throws IOException {
        makeReadable(tmp);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
