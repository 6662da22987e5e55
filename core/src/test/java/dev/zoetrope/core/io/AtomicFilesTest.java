package dev.zoetrope.core.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void replacesTheTargetAndLeavesNothingElse() throws IOException {
        Path target = dir.resolve("sub/config.json");
        AtomicFiles.writeString(target, "one");
        AtomicFiles.writeString(target, "two");
        assertEquals("two", Files.readString(target));
        try (Stream<Path> s = Files.list(target.getParent())) {
            assertEquals(List.of(target), s.toList());
        }
    }

    @Test
    void aFailingWriterKeepsTheOldFileAndRemovesItsTemporary() throws IOException {
        Path target = dir.resolve("data.bin");
        AtomicFiles.writeBytes(target, new byte[]{1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeStream(target, out -> {
            out.write(new byte[1 << 20]);
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(target));
        assertEquals(List.of(target), files());

        RuntimeException bug = assertThrows(RuntimeException.class, () -> AtomicFiles.write(dir.resolve("new.bin"), tmp -> {
            Files.write(tmp, new byte[10]);
            throw new IllegalStateException("stopped");
        }));
        assertEquals("stopped", bug.getMessage());
        assertEquals(List.of(target), files(), "no partial new.bin and no temporary file");
    }
}
