package dev.zoetrope.curate.testset;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.video.FilterSource;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.SyntheticSources;
import dev.zoetrope.video.VideoReader;

/** The corpus comes from FFmpeg's sources, reproducibly, and its truth matches the frames it wrote. */
class TestSetMakerTest {
    @TempDir
    static Path dir;
    static GroundTruth truth;

    @BeforeAll
    static void make() throws Exception {
        truth = new TestSetMaker(dir, TestSetMaker.Size.SMALL, new PrintStream(new ByteArrayOutputStream())).make();
    }

    private static List<Frame> frames(FilterSource src) {
        List<Frame> out = new ArrayList<>();
        for (Frame f; (f = src.next()) != null; ) out.add(f);
        return out;
    }

    private static List<Frame> decode(Path file) {
        List<Frame> out = new ArrayList<>();
        try (VideoReader r = VideoReader.open(file)) {
            for (Frame f; (f = r.next()) != null; ) out.add(f);
        }
        return out;
    }

    private static double mean(Frame f) {
        long s = 0;
        for (byte b : f.rgb()) s += b & 0xff;
        return (double) s / f.rgb().length;
    }

    private static double meanAbsDiff(Frame a, Frame b) {
        long s = 0;
        for (int i = 0; i < a.rgb().length; i++) s += Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff));
        return (double) s / a.rgb().length;
    }

    @Test
    void everyKindIsSeededMovesAndDiffersBySeed() {
        for (FilterScene.Kind kind : FilterScene.Kind.values()) {
            List<Frame> a, again, other, frozen;
            try (FilterSource s = SyntheticSources.open(new FilterScene(kind, 5).graph(96, 54, "x"), 6)) {
                a = frames(s);
            }
            try (FilterSource s = SyntheticSources.open(new FilterScene(kind, 5).graph(96, 54, "x"), 6)) {
                again = frames(s);
            }
            try (FilterSource s = SyntheticSources.open(new FilterScene(kind, 6).graph(96, 54, "x"), 6)) {
                other = frames(s);
            }
            try (FilterSource s = SyntheticSources.open(new FilterScene(kind, 5).frozen(96, 54, "x", 3), 4)) {
                frozen = frames(s);
            }
            assertEquals(6, a.size(), kind + " frames");
            assertEquals(96, a.getFirst().width(), kind + " width");
            for (int i = 0; i < a.size(); i++)
                assertArrayEquals(a.get(i).rgb(), again.get(i).rgb(), kind + " frame " + i + " is reproducible");
            assertTrue(meanAbsDiff(a.getFirst(), a.getLast()) > 0.5, kind + " moves");
            assertTrue(meanAbsDiff(a.getFirst(), other.getFirst()) > 5, kind + " differs by seed");
            assertEquals(4, frozen.size());
            for (Frame f : frozen) assertArrayEquals(a.get(3).rgb(), f.rgb(), kind + " frozen at frame 3");
        }
    }

    @Test
    void truthMatchesTheFramesWritten() throws Exception {
        assertFalse(truth.cutVideos().isEmpty());
        for (GroundTruth.CutVideo v : truth.cutVideos()) {
            List<Frame> f = decode(dir.resolve("videos").resolve(v.file()));
            assertEquals(v.frames(), f.size(), v.file());
            for (int c : v.cuts()) {
                double jump = meanAbsDiff(f.get(c - 1), f.get(c));
                assertTrue(jump > 3 * meanAbsDiff(f.get(c - 2), f.get(c - 1)), v.file() + " cut at " + c + ": " + jump);
            }
            for (int b : v.fades()) {
                for (int k = b - 2; k < b + 2; k++) assertTrue(mean(f.get(k)) < 3, v.file() + " black at " + k);
                assertTrue(mean(f.get(b - 3)) > mean(f.get(b - 2)) + 3, v.file() + " fades down before " + b);
                assertTrue(mean(f.get(b + 2)) > mean(f.get(b + 1)) + 3, v.file() + " fades up after " + b);
            }
        }
        for (GroundTruth.Clip c : truth.clips()) {
            Path file = dir.resolve("videos").resolve(c.file());
            assertTrue(Files.size(file) > 0, c.file());
            if (c.file().startsWith("dup_exact"))
                assertTrue(Arrays.equals(Files.readAllBytes(file), Files.readAllBytes(dir.resolve("videos").resolve(c.duplicateOf()))));
        }
        List<Frame> dark = decode(dir.resolve("videos/dark_00.mp4"));
        assertTrue(mean(dark.get(10)) < 0.15 * 255 * 0.6, "dark clip: " + mean(dark.get(10)));
        List<Frame> letterbox = decode(dir.resolve("videos/letterbox_00.mp4"));
        assertTrue(mean(new Frame(96, 4, Arrays.copyOf(letterbox.get(10).rgb(), 96 * 4 * 3), 0, 0)) < 3, "black bars at the top");
        assertTrue(Files.exists(dir.resolve("videos/broken.mp4")) && Files.exists(dir.resolve("videos/too_short.mp4")));
    }
}
