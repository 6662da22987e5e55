package dev.zoetrope.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticSourcesTest {
    @TempDir
    Path dir;

    private static List<Frame> all(String graph, long max) {
        List<Frame> out = new ArrayList<>();
        try (FilterSource src = SyntheticSources.open(graph, max)) {
            for (Frame f; (f = src.next()) != null; ) out.add(f);
        }
        return out;
    }

    private static double meanAbsDiff(Frame a, Frame b) {
        return TestClips.meanAbsError(a.rgb(), a.width(), b.rgb(), b.width(), a.width(), a.height());
    }

    private static double mean(Frame f) {
        long s = 0;
        for (byte b : f.rgb()) s += b & 0xff;
        return (double) s / f.rgb().length;
    }

    @Test
    void libavfilterLoadsWithoutAvdevice() {
        assertTrue(SyntheticSources.available());
        for (String f : List.of("testsrc2", "smptebars", "mandelbrot", "color", "boxblur", "fade", "concat", "drawtext"))
            assertTrue(SyntheticSources.hasFilter(f), f);
    }

    @Test
    void testsrcHasTheRequestedSizeRateAndLength() {
        try (FilterSource src = SyntheticSources.open(SyntheticSources.testsrc2(160, 90, 24, 1))) {
            assertEquals(160, src.width());
            assertEquals(90, src.height());
            assertEquals(24.0, src.fps(), 1e-9);
            int n = 0;
            for (Frame f; (f = src.next()) != null; n++) {
                assertEquals(n, f.index());
                assertEquals(n / 24.0, f.timeSeconds(), 1e-9);
            }
            assertEquals(24, n);
        }
        assertEquals(5, all("testsrc2=size=32x32:rate=8", 5).size(), "an endless source stops at maxFrames");
        assertEquals(8, all(SyntheticSources.mandelbrot(32, 24, 8, 1), 100).size());
    }

    @Test
    void concatMakesAHardCutAtAKnownFrame() {
        String graph = SyntheticSources.testsrc2(96, 64, 24, 1) + "[a];" + SyntheticSources.smptebars(96, 64, 24, 1)
                + "[b];[a][b]concat=n=2";
        List<Frame> frames = all(graph, 1000);
        assertEquals(48, frames.size());
        double cut = meanAbsDiff(frames.get(23), frames.get(24));
        for (int i = 1; i < frames.size(); i++) {
            if (i != 24) assertTrue(meanAbsDiff(frames.get(i - 1), frames.get(i)) < cut / 3, "frame " + i + " is no cut");
        }
    }

    @Test
    void fadeAndBlurChangeThePicture() {
        List<Frame> faded = all(SyntheticSources.smptebars(64, 48, 8, 2) + ",fade=t=in:st=0:d=1", 100);
        assertTrue(mean(faded.getFirst()) < 5, "fade starts from black");
        assertTrue(mean(faded.get(10)) > 60, "and reaches the bars");
        Frame sharp = all(SyntheticSources.smptebars(64, 48, 8, 1), 1).getFirst();
        Frame blurred = all(SyntheticSources.smptebars(64, 48, 8, 1) + ",boxblur=6", 1).getFirst();
        assertTrue(edgeEnergy(blurred) < edgeEnergy(sharp) / 2, "blur removes edges");
        Frame grey = all(SyntheticSources.color("0x6e6e6e", 16, 16, 8, 1), 1).getFirst();
        assertEquals(0x6e6e6e, grey.rgbAt(8, 8));
    }

    @Test
    void drawtextBurnsInLiteralText() {
        String text = "a:b, c's [x]; 50% \\ =";
        Optional<String> filter = SyntheticSources.drawtext(text, 4, 4, 20, "white");
        assertEquals(SyntheticSources.fontFile().isPresent(), filter.isPresent(), "a filter exactly when a font exists");
        if (filter.isPresent()) {
            Frame f = all(SyntheticSources.color("black", 200, 40, 8, 1) + "," + filter.get(), 1).getFirst();
            assertTrue(mean(f) > 5, "text was drawn");
        }
        assertEquals("a\\\\:b\\, c\\\\\\'s \\[x\\]\\; 50% \\\\\\\\ \\\\=", SyntheticSources.escape(text));
    }

    @Test
    void renderWritesAPlayableMp4() {
        VideoInfo info = SyntheticSources.render(SyntheticSources.testsrc2(128, 72, 8, 2), dir.resolve("t.mp4"), 1000);
        assertEquals(16, info.frameCount());
        assertEquals(8.0, info.fps(), 1e-9);
        assertEquals("h264", info.codec());
    }

    @Test
    void badGraphsFailClearly() {
        VideoException e = assertThrows(VideoException.class, () -> SyntheticSources.open("scale=100:100"));
        assertTrue(e.getMessage().contains("unconnected input"), e.getMessage());
        e = assertThrows(VideoException.class, () -> SyntheticSources.open("nosuchfilter=size=3x3"));
        assertTrue(e.getMessage().contains("nosuchfilter"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SyntheticSources.open(" "));
    }

    private static double edgeEnergy(Frame f) {
        double sum = 0;
        for (int y = 0; y < f.height(); y++) {
            for (int x = 1; x < f.width(); x++) sum += Math.abs((f.rgbAt(x, y) & 0xff) - (f.rgbAt(x - 1, y) & 0xff));
        }
        return sum;
    }
}
