package dev.zoetrope.train.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.train.synth.SynthSpec.Combination;
import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;

class SynthWorldTest {
    @TempDir
    Path dir;

    @Test
    void specMatchesTheWorldDefinition() {
        assertEquals(List.of("red", "orange", "yellow", "green", "blue", "purple", "white"),
                SynthSpec.COLORS.stream().map(SynthSpec.Rgb::name).toList());
        assertEquals(0xF5961E, SynthSpec.COLORS.get(1).packed(), "orange is (245,150,30)");
        assertEquals(0x285AE6, SynthSpec.COLORS.get(4).packed(), "blue is (40,90,230)");
        assertEquals(0x6E6E6E, SynthSpec.BACKGROUNDS.get(1).packed(), "gray is (110,110,110)");
        assertEquals(List.of("circle", "square", "triangle"), SynthSpec.SHAPES.stream().map(SynthSpec.Shape::word).toList());
        assertEquals(List.of("left", "right", "up", "down"), SynthSpec.DIRECTIONS.stream().map(SynthSpec.Direction::word).toList());
        assertTrue(SynthSpec.TEMPLATES.size() >= 3);
        assertEquals("a red circle moving left on a black background",
                SynthSpec.canonicalCaption(new Combination(0, 0, 0), 0));
        assertEquals("a white triangle moving down on a gray background",
                SynthSpec.canonicalCaption(new Combination(6, 2, 3), 1));
    }

    @Test
    void heldOutRuleGivesTwelveCombinations() {
        List<Combination> held = SynthSpec.heldOutCombinations();
        assertEquals(12, held.size());
        assertEquals(72, SynthSpec.seenCombinations().size());
        for (Combination c : held) assertEquals(3, (c.color() + 2 * c.shape() + 3 * c.direction()) % 7);
        assertTrue(new Combination(3, 0, 0).heldOut(), "green circle left: 3 % 7 == 3");
        assertFalse(new Combination(0, 0, 0).heldOut());
        // Every shape × direction pair has exactly one held-out colour.
        Set<String> pairs = new HashSet<>();
        for (Combination c : held) pairs.add(c.shape() + "/" + c.direction());
        assertEquals(12, pairs.size());
    }

    @Test
    void captionsParseBackInEveryTemplate() {
        for (Combination c : SynthSpec.combinations()) {
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < SynthSpec.TEMPLATES.size(); t++) {
                    SynthSpec.Parsed p = SynthSpec.parse(SynthSpec.caption(t, c, b)).orElseThrow();
                    assertEquals(c, p.combination());
                    assertEquals(b, p.background());
                    assertEquals(t, p.template());
                }
            }
        }
        SynthSpec.Parsed pink = SynthSpec.parse("a pink circle moving left on a black background").orElseThrow();
        assertTrue(pink.combination().novel(), "pink is the novel colour a LoRA is taught");
        assertEquals("pink circle left", pink.combination().describe());
        SynthSpec.Parsed diagonal = SynthSpec.parse("the red square moves up left over a plain gray backdrop").orElseThrow();
        assertTrue(diagonal.combination().novelMotion(), "diagonals are the novel motions a LoRA is taught");
        assertEquals(new Combination(0, 1, SynthSpec.MOTIONS.indexOf(SynthSpec.Direction.UP_LEFT)), diagonal.combination());
        assertEquals(SynthSpec.Direction.NOWHERE, SynthSpec.MOTIONS.get(
                SynthSpec.parse("black background with a blue triangle traveling nowhere").orElseThrow().combination().direction()));
        for (Combination c : SynthSpec.novelMotionCombinations())
            for (int t = 0; t < SynthSpec.TEMPLATES.size(); t++)
                assertEquals(c, SynthSpec.parse(SynthSpec.caption(t, c, 1)).orElseThrow().combination(), SynthSpec.caption(t, c, 1));
        assertTrue(SynthSpec.parse("a cyan circle moving left on a black background").isEmpty());
        assertTrue(SynthSpec.parse("a cat").isEmpty());
    }

    @Test
    void splitsNeverMixAndCoverBackgroundsAndTemplates() {
        SynthWorld.Settings train = SynthWorld.Settings.defaults();
        SynthWorld.Settings held = new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.HELDOUT);
        Set<Combination> seenTrain = new HashSet<>();
        Set<Integer> templates = new HashSet<>(), backgrounds = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            SynthClip c = SynthWorld.plan(train, 5, i);
            assertFalse(c.heldOut(), c.id() + " " + c.combination().describe() + " must not be in training");
            assertEquals("train", c.split());
            seenTrain.add(c.combination());
            templates.add(c.template());
            backgrounds.add(c.background());
        }
        assertEquals(72, seenTrain.size(), "training covers every seen combination");
        assertEquals(SynthSpec.TEMPLATES.size(), templates.size());
        assertEquals(2, backgrounds.size());
        Set<Combination> seenHeld = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            SynthClip c = SynthWorld.plan(held, 5, i);
            assertTrue(c.heldOut());
            assertEquals("heldout", c.split());
            seenHeld.add(c.combination());
        }
        assertEquals(12, seenHeld.size());
    }

    @Test
    void novelSplitsHoldWhatTrainingNeverShowed() {
        SynthWorld.Settings white = new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.NOVEL_BACKGROUND);
        Set<Combination> combos = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            SynthClip c = SynthWorld.plan(white, 5, i);
            assertEquals("white", c.backgroundColor().name());
            assertEquals("novel-background", c.split());
            assertFalse(c.heldOut(), "a lesson never shows a held-out combination");
            assertNotEquals("white", c.color().name(), "no white object on white");
            SynthSpec.Parsed p = SynthSpec.parse(c.caption()).orElseThrow();
            assertEquals(c.background(), p.background());
            combos.add(c.combination());
        }
        assertEquals(72 - 10, combos.size(), "every seen combination but the 10 seen white ones");
        SynthWorld.Settings pink = new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.NOVEL);
        Set<Combination> pinks = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            SynthClip c = SynthWorld.plan(pink, 5, i);
            assertEquals("pink", c.color().name());
            assertTrue(c.background() < SynthSpec.BACKGROUNDS.size());
            pinks.add(c.combination());
        }
        assertEquals(10, pinks.size(), "pink's 12 combinations but the 2 the held-out rule keeps");
        SynthWorld.Settings diagonal = new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.NOVEL_MOTION);
        Set<Combination> diagonals = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            SynthClip c = SynthWorld.plan(diagonal, 5, i);
            assertTrue(c.direction().diagonal() || c.direction().still(), c.caption());
            if (c.direction().still()) assertEquals(0.0, Math.hypot(c.velocityX(), c.velocityY()), c.caption());
            assertEquals("novel-motion", c.split());
            assertFalse(c.heldOut(), "a lesson never shows a held-out combination");
            assertTrue(c.background() < SynthSpec.BACKGROUNDS.size());
            diagonals.add(c.combination());
        }
        assertEquals(105 - 15, diagonals.size(), "every novel-motion combination but the 15 the held-out rule keeps");
        // the shipped world is unchanged: its splits never draw a novel colour, background or motion
        for (int i = 0; i < 3000; i++) {
            SynthClip c = SynthWorld.plan(new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.ALL), 5, i);
            assertFalse(c.combination().novel() || SynthSpec.novelBackground(c.background()));
        }
    }

    @Test
    void objectStaysFullyVisibleAndMovesAsPlanned() {
        for (SynthWorld.Settings s : List.of(SynthWorld.Settings.defaults(),
                new SynthWorld.Settings(96, 48, 25, 24, SynthWorld.Split.ALL),
                new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.NOVEL_MOTION),
                new SynthWorld.Settings(48, 96, 25, 24, SynthWorld.Split.NOVEL_MOTION))) {
            for (int i = 0; i < 2000; i++) {
                SynthClip c = SynthWorld.plan(s, 17, i);
                for (int t = 0; t < c.frames(); t++) {
                    double[] box = c.bbox(t);
                    assertTrue(box[0] >= 1 && box[1] >= 1 && box[2] <= s.width() - 1 && box[3] <= s.height() - 1,
                            c.id() + " frame " + t + " box leaves the picture");
                }
                SynthSpec.Direction d = c.direction();
                double vx = c.velocityX(), vy = c.velocityY();
                assertEquals(d.dx, (int) Math.signum(vx));
                assertEquals(d.dy, (int) Math.signum(vy));
                double travel = Math.hypot(vx, vy) * (c.frames() - 1);
                if (d.still()) continue;
                assertTrue(travel >= 0.3 * (Math.min(s.width(), s.height()) - c.size()) - 8, c.id() + " barely moves: " + travel);
                assertTrue(c.size() >= 0.3 * Math.min(s.width(), s.height()) && c.size() <= 0.45 * Math.min(s.width(), s.height()));
            }
        }
    }

    @Test
    void interiorColoursAreExactAndEdgesBlend() {
        SynthClip c = new SynthClip("t", 0, new Combination(1, 0, 1), 1, 0, 64, 64, 2, 8, 20, 30.3, 30.7, 1, 0, false);
        byte[] rgb = SynthRenderer.frame(c, 0);
        int center = ((30 * 64) + 30) * 3;
        assertEquals(245, rgb[center] & 0xff);
        assertEquals(150, rgb[center + 1] & 0xff);
        assertEquals(30, rgb[center + 2] & 0xff);
        assertEquals(110, rgb[0] & 0xff, "background is exact");
        boolean blended = false;
        for (int i = 0; i < rgb.length; i += 3) {
            int r = rgb[i] & 0xff;
            if (r != 110 && r != 245) blended = true;
        }
        assertTrue(blended, "edges are anti-aliased");
    }

    @Test
    void generatesResumablyAndDeterministically() throws Exception {
        SynthWorld.Settings s = SynthWorld.Settings.defaults();
        Path a = dir.resolve("a");
        SynthWorld.Result first = SynthWorld.generate(a, 5, 42, s, 1, null);
        assertEquals(5, first.written());
        assertEquals(0, first.skipped());

        // A killed run leaves a clip without its sidecar and a temporary file; the next run repairs both.
        Files.delete(a.resolve("clip-000002.json"));
        Files.writeString(a.resolve(".clip-000003.mp4.123.part"), "half");
        FileTime before = Files.getLastModifiedTime(a.resolve("clip-000000.mp4"));
        SynthWorld.Result second = SynthWorld.generate(a, 7, 42, s, 2, null);
        assertEquals(3, second.written(), "clip 2 again plus the two new ones");
        assertEquals(4, second.skipped());
        assertEquals(before, Files.getLastModifiedTime(a.resolve("clip-000000.mp4")), "complete clips are not rewritten");
        assertFalse(Files.exists(a.resolve(".clip-000003.mp4.123.part")));

        Path b = dir.resolve("b");
        SynthWorld.generate(b, 7, 42, s, 1, null);
        for (int i = 0; i < 7; i++) {
            String id = SynthWorld.clipId(i);
            assertArrayEquals(Files.readAllBytes(a.resolve(id + ".json")), Files.readAllBytes(b.resolve(id + ".json")), id);
            assertArrayEquals(Files.readAllBytes(a.resolve(id + ".mp4")), Files.readAllBytes(b.resolve(id + ".mp4")), id);
        }
        Path c = dir.resolve("c");
        SynthWorld.generate(c, 1, 43, s, 1, null);
        assertNotEquals(Files.readString(a.resolve("clip-000000.json")), Files.readString(c.resolve("clip-000000.json")));

        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> SynthWorld.generate(a, 7, 1, s, 1, null));
        assertTrue(e.getMessage().contains("seed 42"), e.getMessage());
    }

    @Test
    void sidecarDescribesTheClip() throws Exception {
        SynthWorld.Settings s = new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.ALL);
        SynthWorld.generate(dir, 12, 3, s, 1, null);
        List<SynthSidecar> all = SynthWorld.readIndex(dir);
        assertEquals(12, all.size());
        for (SynthSidecar sc : all) {
            SynthClip plan = SynthWorld.plan(s, 3, Integer.parseInt(sc.id().substring(5)));
            assertEquals(plan.caption(), sc.caption());
            assertEquals(plan.canonicalCaption(), sc.canonicalCaption());
            assertEquals(plan.color().name(), sc.color());
            assertEquals(plan.shape().word(), sc.shape());
            assertEquals(plan.direction().word(), sc.direction());
            assertEquals(plan.backgroundColor().name(), sc.background());
            assertEquals(plan.split(), sc.split());
            assertEquals(17, sc.track().size());
            assertEquals(plan.startX(), sc.start()[0], 1e-12);
            assertEquals(plan.velocityY(), sc.velocity()[1], 1e-12);
            assertArrayEquals(plan.bbox(16), sc.track().get(16).bbox(), 1e-12);
            assertEquals(2.0, sc.track().get(16).time(), 1e-12);
            VideoInfo info = VideoProbe.probe(dir.resolve(sc.video()));
            assertEquals(17, info.frameCount());
            assertEquals(8.0, info.fps(), 1e-9);
            assertEquals(64, info.width());
            String json = Files.readString(dir.resolve(sc.id() + ".json"));
            assertTrue(json.contains("\"canonical_caption\"") && json.contains("\"color_rgb\""), json);
        }
    }
}
