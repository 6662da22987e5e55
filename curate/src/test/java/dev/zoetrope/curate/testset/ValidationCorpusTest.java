package dev.zoetrope.curate.testset;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.curate.pipeline.CurateOptions;
import dev.zoetrope.curate.pipeline.CuratePipeline;
import dev.zoetrope.curate.pipeline.ShardExtras;

/** The full validation corpus against the targets: boundary F1 ≥ 0.95 (±2 frames), each filter ≥ 0.9/0.9, ≤ 5% clean rejects. */
@Tag("slow")
class ValidationCorpusTest {
    @TempDir
    Path dir;

    @Test
    void detectorsMeetTheirTargets() throws Exception {
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        new TestSetMaker(dir.resolve("testset"), TestSetMaker.Size.FULL, quiet).make();
        CurateOptions o = CurateOptions.defaults(List.of(dir.resolve("testset/videos").toString()), dir.resolve("run").toString())
                .withSize(128, 72);
        CuratePipeline.run(o, "DirectRunner", List.of(), ShardExtras.NONE, quiet);
        Scorer.Score s = Scorer.score(dir.resolve("testset"), dir.resolve("run"), 2);
        System.out.print(s.table());
        assertTrue(s.boundaries().f1() >= 0.95, "boundary F1 " + s.boundaries().f1());
        s.filters().forEach((name, c) -> {
            assertTrue(c.precision() >= 0.9, name + " precision " + c.precision());
            assertTrue(c.recall() >= 0.9, name + " recall " + c.recall());
        });
        assertTrue(s.cleanFalseRejectRate() <= 0.05, "clean false rejects " + s.cleanFalseRejectRate());
        assertEquals(List.of("broken.mp4=broken", "too_short.mp4=too_short"), s.sourceProblems());
    }
}
