package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.testset.FilterScene;
import dev.zoetrope.video.SyntheticSources;

/**
 * A long source split into time ranges gives the same clips as cut whole: shots that cross a range boundary, a cut
 * on a boundary, a fade through black and a stretch of dark content across a boundary. Tagged slow: two runs of a
 * 24 s source take about 30 s of CPU.
 */
@Tag("slow")
class TimeRangesTest {
    @TempDir
    Path dir;

    /** One segment of the source: a scene (or black) for {@code frames} frames, optionally fading in or out over 8. */
    private record Segment(FilterScene scene, int frames, boolean fadeIn, boolean fadeOut) {}

    @Test
    void aLongSourceSplitIntoRangesGivesTheSameClipsAsWhole() throws Exception {
        Path source = source(dir, 96, 54);

        CurateOptions whole = options(dir.resolve("whole"), source);
        CurateOptions split = options(dir.resolve("split"), source).withRangeSeconds(4);
        assertTrue(new ClipExtractor(whole).ranges(source.toString()).isEmpty(), "24 s are one piece at the default");
        assertEquals(6, new ClipExtractor(split).ranges(source.toString()).size());

        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Finalizer.Summary a = CuratePipeline.run(whole, "DirectRunner", List.of(), ShardExtras.NONE, quiet);
        Finalizer.Summary b = CuratePipeline.run(split, "DirectRunner", List.of(), ShardExtras.NONE, quiet);
        assertTrue(a.clips() >= 12, "clips " + a.clips());
        assertEquals(a.clips(), b.clips());
        // Every clip: the same id, times, signals and decision.
        assertEquals(Files.readString(dir.resolve("whole/manifest.jsonl")), Files.readString(dir.resolve("split/manifest.jsonl")));
        // The same cuts, fades and shots in the source's report.
        SourceReport wr = report(dir.resolve("whole")), sr = report(dir.resolve("split"));
        assertEquals(wr, sr);
        assertEquals(List.of(80, 110, 288, 400, 480), wr.cuts());
        assertEquals(3, wr.fades().size(), "the fade's middle and both edges of the dark stretch: " + wr.fades());
        // And the same pictures in every clip file.
        for (String id : wr.clipIds())
            assertArrayEquals(Files.readAllBytes(dir.resolve("whole/clips/" + id + ".mp4")),
                    Files.readAllBytes(dir.resolve("split/clips/" + id + ".mp4")), id);
    }

    /** The 24 s test source at w×h: its shots and boundaries are listed beside the segments. */
    static Path source(Path dir, int w, int h) throws Exception {
        FilterScene.Kind[] k = FilterScene.Kind.values();
        // 576 frames at 24 fps; with clips of 1–2 s, ranges of 4 s are 96 frames: boundaries at 96, 192, 288, 384, 480.
        List<Segment> segments = List.of(
                new Segment(new FilterScene(k[0], 1), 80, false, false),   // [0, 80)
                new Segment(new FilterScene(k[3], 2), 30, false, false),   // [80, 110): crosses 96
                new Segment(new FilterScene(k[1], 3), 40, false, true),    // [110, 150), fades out
                new Segment(null, 6, false, false),                        // [150, 156): black, a fade's middle
                new Segment(new FilterScene(k[2], 4), 24, true, false),    // [156, 180), fades in
                new Segment(null, 30, false, false),                       // [180, 210): dark content across 192
                new Segment(new FilterScene(k[4], 5), 78, false, false),   // [210, 288): the next cut is on 288
                new Segment(new FilterScene(k[0], 6), 112, false, false),  // [288, 400): crosses 384
                new Segment(new FilterScene(k[3], 7), 80, false, false),   // [400, 480): the next cut is on 480
                new Segment(new FilterScene(k[1], 8), 96, false, false));  // [480, 576)
        Path source = dir.resolve("videos/long.mp4");
        Files.createDirectories(source.getParent());
        assertEquals(576, render(segments, source, w, h));
        return source;
    }

    static CurateOptions options(Path out, Path source) {
        return CurateOptions.defaults(List.of(source.toString()), out.toString()).withSize(64, 36).withClipSeconds(1, 2);
    }

    private static SourceReport report(Path run) throws Exception {
        try (var s = Files.list(run.resolve("work/sources"))) {
            Path m = s.findFirst().orElseThrow();
            return Json.PLAIN.readValue(Files.readAllBytes(m), ClipExtractor.Marker.class).report();
        }
    }

    /** Renders the segments joined by {@code concat}; returns the frame count. */
    private static int render(List<Segment> segments, Path out, int w, int h) {
        StringBuilder graph = new StringBuilder(), inputs = new StringBuilder();
        int frames = 0;
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            String g = s.scene() == null
                    ? String.format(Locale.ROOT, "color=c=black:size=%dx%d:rate=24,format=yuv420p", w, h)
                    : s.scene().graph(w, h, "s" + i);
            if (s.fadeIn()) g += ",fade=t=in:s=0:n=8";
            if (s.fadeOut()) g += String.format(Locale.ROOT, ",fade=t=out:s=%d:n=8", s.frames() - 8);
            g += String.format(Locale.ROOT, ",trim=end_frame=%d,setpts=PTS-STARTPTS,setsar=1,format=yuv420p", s.frames());
            graph.append(g).append("[c").append(i).append("];");
            inputs.append("[c").append(i).append(']');
            frames += s.frames();
        }
        graph.append(inputs).append("concat=n=").append(segments.size()).append(":v=1:a=0");
        return (int) SyntheticSources.render(graph.toString(), out, frames + 1).frameCount();
    }
}
