package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalAdherenceCommandTest {
    @TempDir
    Path dir;

    @Test
    void groundTruthModeValidatesTheDetectorAndWritesTheReport() throws Exception {
        Path out = dir.resolve("eval");
        CliRun r = CliRun.of("eval", "adherence", "--ground-truth", "--k", "1", "--seen-sample", "1", "--out", out.toString());
        assertEquals(0, r.exit(), r.toString());
        // 24 held-out prompts, 2 seen, and the 24 held-out ones again in held-out phrasings
        assertTrue(r.out().startsWith("detector validation on 50 ground-truth clips"), r.toString());
        assertTrue(r.out().contains("-> pass"), r.toString());
        assertTrue(r.out().contains("held-out             24     24  100.0%"), r.toString());
        assertTrue(r.out().contains("held-out words       24     24  100.0%"), r.toString());
        for (String f : new String[]{"adherence.json", "adherence.md", "contact-sheet.png"}) assertTrue(Files.isRegularFile(out.resolve(f)), f);
        try (var clips = Files.list(out.resolve("ground-truth/clips"))) {
            var names = clips.map(p -> p.getFileName().toString()).toList();
            assertEquals(50, names.stream().filter(n -> n.endsWith(".mp4")).count());
            assertEquals(50, names.stream().filter(n -> n.endsWith(".cost.json")).count(), "each clip's cost beside it");
            assertEquals(24, names.stream().filter(n -> n.startsWith("heldout-phrasing-") && n.endsWith(".mp4")).count());
        }
        assertTrue(r.out().contains("forwards/clip") && r.out().contains("s/clip"), r.toString());
        assertTrue(Files.readString(out.resolve("adherence.json")).contains("\"video\" : \"ground-truth/clips/heldout-"));
        CliRun again = CliRun.of("eval", "adherence", "--ground-truth", "--k", "1", "--seen-sample", "1", "--out", out.toString());
        assertTrue(again.out().contains("0 clips generated now, 50 already there"), again.toString());
        CliRun canonical = CliRun.of("eval", "adherence", "--ground-truth", "--no-held-out-phrasings", "--k", "1", "--seen-sample", "1",
                "--out", dir.resolve("canonical").toString());
        assertTrue(canonical.out().startsWith("detector validation on 26 ground-truth clips"), canonical.toString());
        assertFalse(canonical.out().contains("held-out words"), canonical.toString());
    }

    @Test
    void promptsYouWriteAreScoredAsTheirOwnRow() throws Exception {
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, "# scene | prompt\n"
                + "a red square moving up on a gray background | a crimson box climbing over a slate backdrop\n"
                + "a green triangle moving right on a black background | rightwards, one green trigon in the dark\n");
        Path out = dir.resolve("written");
        CliRun r = CliRun.of("eval", "adherence", "--ground-truth", "--k", "1", "--prompts", prompts.toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("detector validation on 2 ground-truth clips"), r.toString());
        assertTrue(r.out().contains("written               2      2  100.0%  100.0%     100.0%"), r.toString());
        assertTrue(Files.isRegularFile(out.resolve("contact-sheet.png")));

        Files.writeString(prompts, "a red square moving up on a gray background\n");
        CliRun bad = CliRun.of("eval", "adherence", "--ground-truth", "--prompts", prompts.toString(), "--out", dir.resolve("b").toString());
        assertEquals(2, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("line 1: want SCENE | PROMPT"), bad.toString());
        CliRun both = CliRun.of("eval", "adherence", "--ground-truth", "--prompts", prompts.toString(), "--novel", "color",
                "--out", dir.resolve("c").toString());
        assertEquals(2, both.exit(), both.toString());
        CliRun missing = CliRun.of("eval", "adherence", "--ground-truth", "--prompts", dir.resolve("none.txt").toString(),
                "--out", dir.resolve("d").toString());
        assertTrue(missing.err().contains("no such file"), missing.toString());
        assertFalse(Files.exists(dir.resolve("b")) || Files.exists(dir.resolve("c")) || Files.exists(dir.resolve("d")),
                "nothing written for a bad prompts file");
    }

    @Test
    void badFlagsGiveClearErrors() {
        Path out = dir.resolve("bad");
        CliRun k0 = CliRun.of("eval", "adherence", "--ground-truth", "--k", "0", "--out", out.toString());
        assertEquals(2, k0.exit());
        assertTrue(k0.err().contains("error: --k must be at least 1, got 0"), k0.toString());
        CliRun missing = CliRun.of("eval", "adherence", "--model-dir", dir.resolve("nope").toString(), "--out", out.toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("nope: no such file or directory"),
                missing.toString());
        CliRun sample = CliRun.of("eval", "adherence", "--ground-truth", "--seen-sample", "100", "--out", out.toString());
        assertEquals(2, sample.exit());
        assertTrue(sample.err().contains("--seen-sample must be within 0..72"), sample.toString());
        assertFalse(Files.exists(out), "nothing written for bad flags");
    }
}
