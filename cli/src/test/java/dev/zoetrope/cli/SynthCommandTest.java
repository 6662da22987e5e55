package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesClipsAndResumes() throws Exception {
        Path out = dir.resolve("world");
        String[] args = {"synth", "--out", out.toString(), "--count", "3", "--seed", "7", "--split", "heldout", "--frames", "9"};
        assertEquals(0, Main.run(args));
        for (int i = 0; i < 3; i++) {
            assertTrue(Files.isRegularFile(out.resolve("clip-00000" + i + ".mp4")));
            assertTrue(Files.readString(out.resolve("clip-00000" + i + ".json")).contains("\"split\" : \"heldout\""));
        }
        assertEquals(3, Files.readAllLines(out.resolve("clips.jsonl")).size());
        assertEquals(0, Main.run(args), "a second run finds everything done");
    }

    @Test
    void badArgumentsFailCleanly() {
        Path out = dir.resolve("bad");
        assertEquals(2, Main.run("synth", "--out", out.toString(), "--count", "3", "--seed", "1", "--split", "test"));
        assertEquals(2, Main.run("synth", "--out", out.toString(), "--count", "3", "--seed", "1", "--size", "8"));
        assertFalse(Files.exists(out.resolve("clip-000000.mp4")));
    }
}
