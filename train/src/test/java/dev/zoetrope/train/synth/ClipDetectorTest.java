package dev.zoetrope.train.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.video.Frame;
import dev.zoetrope.video.Mp4Writer;
import dev.zoetrope.video.VideoReader;

/** The detector must read rendered clips back at ≥ 98% after the H.264 round trip. */
class ClipDetectorTest {
    @TempDir
    Path dir;

    @Test
    void readsRenderedClipsAfterH264() {
        validate(new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.ALL), 200, 7);
    }

    @Test
    void readsDiagonalMotionsAmongAllEightWhenAPromptMayAskForThem() {
        validate(new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.NOVEL_MOTION), 60, 8);
    }

    @Test
    @Tag("slow")
    void readsManyRenderedClipsAtSeveralSizes() {
        validate(new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.ALL), 400, 11);
        validate(new SynthWorld.Settings(96, 64, 17, 8, SynthWorld.Split.ALL), 100, 12);
        validate(new SynthWorld.Settings(128, 128, 9, 8, SynthWorld.Split.ALL), 100, 13);
    }

    @Test
    void exactFramesAreReadPerfectly() {
        SynthWorld.Settings s = SynthWorld.Settings.defaults();
        for (int i = 0; i < 40; i++) {
            SynthClip clip = SynthWorld.plan(s, 99, i);
            ClipDetector.Detection d = ClipDetector.detect(SynthRenderer.render(clip));
            assertEquals(clip.combination().color(), d.color(), clip.id());
            assertEquals(clip.combination().shape(), d.shape(), clip.id() + " " + d.describe());
            assertEquals(clip.combination().direction(), d.direction(), clip.id());
            assertEquals(clip.background(), d.background(), clip.id());
            assertEquals(17, d.framesWithObject());
            // The soft centroid lands on the true area centroid.
            for (int t = 0; t < clip.frames(); t++) {
                double[] truth = clip.centroid(t);
                assertEquals(truth[0], d.centroids()[t][0], 0.35, clip.id() + " frame " + t);
                assertEquals(truth[1], d.centroids()[t][1], 0.35, clip.id() + " frame " + t);
            }
        }
    }

    /**
     * Shapes as a tiny model draws them (two clips a patch-1 DiT generated for "a orange square moving left on a black
     * background" and "... circle moving down ..."): the square's corners are a little rounded and its edges soft, so its
     * fill falls below the midpoint of a circle's and a square's, where fill alone called it a circle; its corners still
     * reach out along the diagonals, and its corner ratio is far from the circle's.
     */
    @Test
    void aSquareAsAModelDrawsItIsASquareByItsCorners() throws Exception {
        double midpoint = (1 + Math.sqrt(2)) / 2;
        ClipDetector.Detection square = ClipDetector.detect(resource("drawn-square.mp4"));
        assertEquals("square", square.shapeName(), square.describe());
        assertEquals("left", square.directionName(), square.describe());
        assertTrue(square.fill() < (1 + Math.PI / 4) / 2 && square.cornerRatio() > midpoint, square.describe());
        ClipDetector.Detection circle = ClipDetector.detect(resource("drawn-circle.mp4"));
        assertEquals("circle", circle.shapeName(), circle.describe());
        assertTrue(circle.cornerRatio() < 1.1, circle.describe());
    }

    private static java.nio.file.Path resource(String name) throws Exception {
        return java.nio.file.Path.of(ClipDetectorTest.class.getResource(name).toURI());
    }

    @Test
    void emptyFramesHaveNoObject() {
        byte[] grey = new byte[64 * 64 * 3];
        java.util.Arrays.fill(grey, (byte) 110);
        List<Frame> frames = List.of(new Frame(64, 64, grey, 0, 0), new Frame(64, 64, grey.clone(), 1, 0.125));
        ClipDetector.Detection d = ClipDetector.detect(frames);
        assertFalse(d.found());
        assertEquals("gray", d.backgroundName());
        assertEquals("none", d.shapeName());
    }

    private void validate(SynthWorld.Settings settings, int clips, long seed) {
        int colorOk = 0, shapeOk = 0, directionOk = 0;
        List<String> misses = new ArrayList<>();
        Path mp4 = dir.resolve("clip.mp4");
        for (int i = 0; i < clips; i++) {
            SynthClip clip = SynthWorld.plan(settings, seed, i);
            Mp4Writer.writeAll(mp4, SynthRenderer.render(clip), clip.fps());
            List<Frame> decoded = new ArrayList<>();
            try (VideoReader r = VideoReader.open(mp4)) {
                for (Frame f; (f = r.next()) != null; ) decoded.add(f);
            }
            assertEquals(clip.frames(), decoded.size());
            SynthSpec.Choices choices = clip.combination().novelMotion()
                    ? new SynthSpec.Choices(SynthSpec.COLORS, SynthSpec.BACKGROUNDS, SynthSpec.MOTIONS) : SynthSpec.Choices.TRAINED;
            ClipDetector.Detection d = ClipDetector.detect(decoded, choices);
            boolean c = d.color() == clip.combination().color(), s = d.shape() == clip.combination().shape(),
                    m = d.direction() == clip.combination().direction();
            if (c) colorOk++;
            if (s) shapeOk++;
            if (m) directionOk++;
            if (!(c && s && m)) misses.add(String.format(Locale.ROOT, "%s truth %s size %.1f: %s", clip.id(),
                    clip.combination().describe(), clip.size(), d.describe()));
        }
        double color = (double) colorOk / clips, shape = (double) shapeOk / clips, direction = (double) directionOk / clips;
        System.out.printf(Locale.ROOT, "detector on %d clips %dx%d: color %.3f, shape %.3f, direction %.3f%n", clips,
                settings.width(), settings.height(), color, shape, direction);
        misses.forEach(System.out::println);
        assertTrue(color >= 0.98, "color accuracy " + color);
        assertTrue(shape >= 0.98, "shape accuracy " + shape);
        assertTrue(direction >= 0.98, "direction accuracy " + direction);
    }
}
