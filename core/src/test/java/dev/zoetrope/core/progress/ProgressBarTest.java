package dev.zoetrope.core.progress;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ProgressBarTest {
    record Update(long done, long total, double elapsed, double eta) {}

    @Test
    void listenerSeesEveryStepAndTheEtaShrinks() throws InterruptedException {
        List<Update> seen = new ArrayList<>();
        try (ProgressBar bar = ProgressBar.silent(4, (d, t, e, eta) -> seen.add(new Update(d, t, e, eta)))) {
            for (int i = 0; i < 4; i++) {
                Thread.sleep(20);
                bar.step();
            }
            assertEquals(4, bar.done());
        }
        assertEquals(List.of(1L, 2L, 3L, 4L), seen.stream().map(Update::done).toList());
        assertTrue(seen.stream().allMatch(u -> u.total() == 4));
        // After 1 of 4 steps of ~20 ms, about 60 ms remain; at the end nothing does.
        assertTrue(seen.get(0).eta() > 0.03 && seen.get(0).eta() < 3, "eta " + seen.get(0).eta());
        assertTrue(seen.get(2).eta() < seen.get(0).eta());
        assertEquals(0.0, seen.get(3).eta());
    }

    @Test
    void aResumedRunCountsOnlyItsOwnSteps() throws InterruptedException {
        List<Update> seen = new ArrayList<>();
        try (ProgressBar bar = ProgressBar.silent(1000, (d, t, e, eta) -> seen.add(new Update(d, t, e, eta)))) {
            bar.stepTo(900);
            assertTrue(Double.isNaN(seen.getLast().eta()), "no rate yet right after resuming");
            Thread.sleep(50);
            bar.stepTo(901);
        }
        // One step took ~50 ms, 99 remain: about 5 s, not the near-zero a count from step 0 would give.
        double eta = seen.getLast().eta();
        assertTrue(eta > 3 && eta < 1000, "eta " + eta);
    }

    @Test
    void logOutputShowsCountsRateNoteAndEnd() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
             ProgressBar bar = new ProgressBar("train", 3, "step", out, null)) {
            bar.step();
            bar.note("loss 0.5");
            bar.step();
            bar.step();
        }
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.getFirst().startsWith("train [##########--------------------] 1/3 "), lines.toString());
        assertTrue(lines.getLast().startsWith("train [##############################] 3/3 "), lines.toString());
        assertTrue(lines.getLast().contains("ETA 0:00") && lines.getLast().endsWith("loss 0.5"), lines.toString());
        assertTrue(lines.getLast().contains("step/s") || lines.getLast().contains("s/step"), lines.toString());
        assertTrue(lines.size() <= 3, "a log is not flooded: " + lines);
    }

    @Test
    void stepsPastTheEndOrBelowZeroAreClamped() {
        try (ProgressBar bar = ProgressBar.silent(5, null)) {
            bar.stepTo(9);
            assertEquals(5, bar.done());
            bar.stepTo(-3);
            assertEquals(0, bar.done());
        }
    }

    @Test
    void clockFormatsMinutesAndHours() {
        assertEquals("0:00", ProgressBar.clock(0));
        assertEquals("0:59", ProgressBar.clock(59.4));
        assertEquals("1:00", ProgressBar.clock(59.6));
        assertEquals("1:01:01", ProgressBar.clock(3661));
    }
}
