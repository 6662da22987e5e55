package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Videos staged for publishing by a worker that died are removed at a worker's start; published ones never are. */
class StagedVideosTest {
    @TempDir
    Path results;

    private List<String> names() throws Exception {
        try (var files = Files.list(results)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSharedDirectoryLosesOnlyOldStagedFilesAndALoneOneLosesThemAll() throws Exception {
        Path old = Files.writeString(results.resolve(".aaaa.vm-1-x.part"), "half");
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Files.writeString(results.resolve(".bbbb.vm-2-y.part"), "being published now");
        Files.writeString(results.resolve("cccc.mp4"), "published");
        Files.setLastModifiedTime(results.resolve("cccc.mp4"), FileTime.from(Instant.now().minus(Duration.ofDays(3))));

        JobWorkers.cleanStaged(results, Duration.ofHours(1));
        assertEquals(List.of(".bbbb.vm-2-y.part", "cccc.mp4"), names(), "another worker may be publishing the recent one");
        JobWorkers.cleanStaged(results, Duration.ZERO);
        assertEquals(List.of("cccc.mp4"), names());
        JobWorkers.cleanStaged(results.resolve("absent"), Duration.ZERO);
    }
}
