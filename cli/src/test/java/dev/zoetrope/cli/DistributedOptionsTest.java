package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's flags refuse a world that cannot exist in one line, before anything starts or is written. */
class DistributedOptionsTest {
    @TempDir
    Path tmp;

    private void refused(String expected, String... flags) {
        String[] args = new String[4 + flags.length];
        args[0] = "train";
        args[1] = "--recipe=micro";
        args[2] = "--work";
        args[3] = tmp.resolve("run").toString();
        System.arraycopy(flags, 0, args, 4, flags.length);
        GenerateCommandTest.Run r = GenerateCommandTest.run(args);
        assertEquals(2, r.exit(), r.err());
        assertEquals("error: " + expected, r.err().strip());
        assertFalse(Files.exists(tmp.resolve("run")), "nothing written");
    }

    @Test
    void impossibleWorldsAreRefused() {
        refused("--node-rank must be within 0..1", "--nnodes", "2", "--node-rank", "2");
        refused("--nnodes and --nproc-per-node must be at least 1", "--nproc-per-node", "0");
        refused("--dist-timeout must be at least 1 second", "--dist-timeout", "0");
    }
}
