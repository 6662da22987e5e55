package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.curate.clips.ClipWindow;

/**
 * The planning half of time ranges, without Beam or clip encoding: the 24 s source of {@link TimeRangesTest} scanned in
 * six ranges and joined gives the shots and clip windows of one scan of the whole, and every window goes to exactly one
 * range (the one it starts in).
 */
class TimeRangePlanTest {
    @TempDir
    Path dir;

    @Test
    void rangesScannedApartPlanTheWindowsOfOneScan() throws Exception {
        Path source = TimeRangesTest.source(dir, 64, 36);
        String src = source.toString();
        ClipExtractor split = new ClipExtractor(TimeRangesTest.options(dir.resolve("out"), source).withRangeSeconds(4));
        List<ClipExtractor.Range> ranges = split.ranges(src);
        assertEquals(6, ranges.size());
        assertEquals(new ClipExtractor.Range(5, 480, Integer.MAX_VALUE), ranges.getLast());

        List<ClipExtractor.CutTask> whole = split.plan(src, List.of(split.scan(src, new ClipExtractor.Range(0, 0, Integer.MAX_VALUE))));
        List<ClipExtractor.CutTask> parts = split.plan(src, ranges.stream().map(r -> split.scan(src, r)).toList());
        assertEquals(1, whole.size());
        ClipExtractor.Plan one = whole.getFirst().plan(), joined = parts.getFirst().plan();
        assertEquals(one.shots(), joined.shots());
        assertEquals(List.of(80, 110, 288, 400, 480), one.shots().cuts());
        assertEquals(starts(one.windows()), starts(joined.windows()));
        // Each window in exactly one task, the one whose range holds its first frame.
        List<ClipWindow> handedOut = parts.stream().flatMap(t -> t.windows().stream()).toList();
        assertEquals(starts(one.windows()), starts(handedOut));
        for (ClipExtractor.CutTask t : parts)
            for (ClipWindow w : t.windows())
                assertTrue(w.firstSource() >= t.range().start() && w.firstSource() < t.range().end(), t.range() + " " + w.firstSource());
        assertTrue(parts.size() >= 5, "windows in most ranges: " + parts.size());
    }

    private static List<String> starts(List<ClipWindow> windows) {
        return windows.stream().map(w -> w.startS() + ":" + java.util.Arrays.toString(w.sourceFrames())).toList();
    }
}
