package dev.zoetrope.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.train.synth.SynthSpec;

class AdherenceEvalTest {
    /** 24 held-out prompts and 2 seen combinations x 2 backgrounds, one clip each: 28 clips. */
    private static final AdherencePlan PLAN = AdherencePlan.of(1, 2, 3);

    @TempDir
    Path dir;

    @Test
    void heldOutPhrasingsAreScoredApartFromTheCanonicalPrompts() throws Exception {
        AdherencePlan plan = AdherencePlan.of(1, 2, 3, true);
        RenderingTestDouble model = RenderingTestDouble.faithful().understanding(plan);
        AdherenceEval.Run run = AdherenceEval.run(dir, "faithful double", () -> model, plan, AdherenceEval.Sampling.DEFAULTS, null);
        assertEquals(52, model.generated.get());
        assertEquals(24, run.heldOut().clips(), "canonical held-out prompts only");
        assertEquals(24, run.heldOutPhrasings().clips());
        assertEquals(4, run.seen().clips());
        assertEquals(1.0, run.heldOutPhrasings().jointRate());
        AdherenceEval.DetectorValidation validation = AdherenceEval.validateDetector(dir.resolve("gt"), plan, null);
        assertTrue(validation.passed(), validation.line());
        new AdherenceReport(validation, run).write(dir);
        JsonNode json = Json.readTree(dir.resolve(AdherenceReport.JSON));
        assertEquals(24, json.path("heldout_phrasing").path("clips").asInt());
        assertEquals(24, json.path("heldout").path("clips").asInt());
        assertEquals(4, json.path("seen").path("clips").asInt());
        assertTrue(Files.readString(dir.resolve(AdherenceReport.MARKDOWN)).contains("| held-out words | 24 | 24 | 100.0% |"));
    }

    @Test
    void writtenPromptsAreScoredAgainstTheSceneTheyName() throws Exception {
        AdherencePlan plan = AdherencePlan.written(AdherencePlan.parseWritten(java.util.List.of(
                "# scene | prompt",
                "a red square moving up on a gray background | a crimson box climbing over a slate backdrop",
                "",
                "a blue circle moving left on a black background | one blue disc drifting leftwards in the dark",
                "a blue circle moving left on a black background | leftwards, a blue round thing"), "prompts.txt"), 2, 1);
        assertEquals(SynthSpec.parse("a orange square moving left on a gray background").orElseThrow().combination(),
                AdherencePlan.parseWritten(java.util.List.of("an orange square moving left on a gray background | x"), "f").getFirst()
                        .combination(), "'an orange' is the world's 'a orange'");
        RenderingTestDouble model = RenderingTestDouble.faithful().understanding(plan);
        AdherenceEval.Run run = AdherenceEval.run(dir, "faithful double", () -> model, plan, AdherenceEval.Sampling.DEFAULTS, null);
        assertEquals(6, model.generated.get(), "3 prompts x k=2");
        assertEquals(6, run.written().clips());
        assertEquals(0, run.heldOut().clips() + run.seen().clips() + run.heldOutPhrasings().clips(), "written prompts are their own row");
        assertEquals(1.0, run.written().jointRate());
        AdherenceEval.DetectorValidation validation = AdherenceEval.validateDetector(dir.resolve("gt"), plan, null);
        assertTrue(validation.passed(), validation.line());
        new AdherenceReport(validation, run).write(dir);
        JsonNode json = Json.readTree(dir.resolve(AdherenceReport.JSON));
        assertEquals(6, json.path("written").path("clips").asInt());
        assertEquals("a crimson box climbing over a slate backdrop", json.path("clips").get(0).path("prompt").asText());
        assertEquals("square", json.path("clips").get(0).path("expected").path("shape").asText());
        assertEquals(6, java.util.stream.StreamSupport.stream(json.path("clips").spliterator(), false)
                .map(c -> c.path("id").asText()).distinct().count(), "two prompts of one scene get their own clips");
        String md = Files.readString(dir.resolve(AdherenceReport.MARKDOWN));
        assertTrue(md.contains("| written | 3 | 6 | 100.0% |"), md);
        assertFalse(md.contains("Targets on held-out"), "targets are the canonical eval's");

        AdherencePlan wrong = AdherencePlan.written(AdherencePlan.parseWritten(java.util.List.of(
                "a red square moving up on a gray background | a crimson box climbing over a slate backdrop"), "p"), 1, 1);
        AdherenceEval.Run miss = AdherenceEval.run(dir.resolve("wrong"), "wrong-colour double",
                () -> RenderingTestDouble.wrongColor().understanding(wrong), wrong,
                AdherenceEval.Sampling.DEFAULTS, null);
        assertEquals(0.0, miss.written().colorRate());
        assertEquals(1.0, miss.written().shapeRate());
    }

    @Test
    void aPromptsFileWithoutAValidSceneIsRefusedNamingItsLine() {
        var none = assertThrows(IllegalArgumentException.class, () -> AdherencePlan.parseWritten(java.util.List.of("# only", " "), "f"));
        assertTrue(none.getMessage().contains("no prompts"), none.getMessage());
        var bar = assertThrows(IllegalArgumentException.class, () -> AdherencePlan.parseWritten(java.util.List.of(
                "a red square moving up on a gray background | ok", "a red square going up"), "f"));
        assertTrue(bar.getMessage().startsWith("f line 2: want SCENE | PROMPT"), bar.getMessage());
        var scene = assertThrows(IllegalArgumentException.class, () -> AdherencePlan.parseWritten(java.util.List.of(
                "a red blob moving up on a gray background | a red blob"), "f"));
        assertTrue(scene.getMessage().contains("not a scene of the synthetic world"), scene.getMessage());
        var empty = assertThrows(IllegalArgumentException.class, () -> AdherencePlan.parseWritten(java.util.List.of(
                "a red square moving up on a gray background |  "), "f"));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
    }

    @Test
    void aModelThatRendersThePromptScoresPerfectlyOnEveryAxis() throws Exception {
        RenderingTestDouble model = RenderingTestDouble.faithful();
        AdherenceEval.Run run = AdherenceEval.run(dir, "faithful double", () -> model, PLAN, AdherenceEval.Sampling.DEFAULTS, null);
        assertEquals(28, model.generated.get());
        assertEquals(24, run.heldOut().clips());
        assertEquals(4, run.seen().clips());
        assertEquals(10.0, run.speed(true).forwardsPerClip(), "held-out clips' cost, from the sidecars");
        assertEquals(20.0, run.speed(false).forwardsPerClip());
        assertEquals((24 * 10 + 4 * 20) / 28.0, run.speed(null).forwardsPerClip(), 1e-9);
        assertEquals(28, run.speed(null).clips());
        assertTrue(run.speed(null).secondsPerClip() > 0);
        for (Accuracy a : new Accuracy[]{run.heldOut(), run.seen()}) {
            assertEquals(1.0, a.colorRate());
            assertEquals(1.0, a.shapeRate());
            assertEquals(1.0, a.directionRate());
            assertEquals(1.0, a.jointRate());
        }
        AdherenceEval.DetectorValidation validation = AdherenceEval.validateDetector(dir.resolve("gt"), PLAN, null);
        assertTrue(validation.passed(), validation.line());
        new AdherenceReport(validation, run).write(dir);
        JsonNode json = Json.readTree(dir.resolve(AdherenceReport.JSON));
        assertEquals(1.0, json.path("heldout").path("color").asDouble());
        assertEquals(24, json.path("heldout").path("clips").asInt());
        assertEquals(28, json.path("clips").size());
        assertEquals("clips/" + PLAN.clips().getFirst().id() + ".mp4", json.path("clips").get(0).path("video").asText());
        assertTrue(json.path("detector_validation").path("passed").asBoolean());
        assertTrue(Files.readString(dir.resolve(AdherenceReport.MARKDOWN)).contains("| held-out | 24 | 24 | 100.0% |"));
        var sheet = ImageIO.read(dir.resolve(AdherenceReport.SHEET).toFile());
        assertEquals(28, sheet.getHeight() / 66, "one 64-px row (+2 px gap) per clip");
    }

    @Test
    void aModelThatGetsTheColourWrongScoresZeroOnColourOnly() throws Exception {
        AdherenceEval.Run run = AdherenceEval.run(dir, "wrong-colour double", RenderingTestDouble::wrongColor, PLAN,
                AdherenceEval.Sampling.DEFAULTS, null);
        for (Accuracy a : new Accuracy[]{run.heldOut(), run.seen()}) {
            assertEquals(0.0, a.colorRate());
            assertEquals(1.0, a.shapeRate());
            assertEquals(1.0, a.directionRate());
            assertEquals(0.0, a.jointRate());
        }
        String table = new AdherenceReport(AdherenceEval.validateDetector(dir.resolve("gt"), PLAN, null), run).table();
        assertTrue(table.contains("held-out"), table);
    }

    @Test
    void aSecondRunGeneratesNothingAndALargerKOnlyAddsClips() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        RenderingTestDouble model = RenderingTestDouble.faithful();
        AdherenceEval.run(dir, "double", () -> { opened.incrementAndGet(); return model; }, PLAN, AdherenceEval.Sampling.DEFAULTS, null);
        Path stale = dir.resolve("clips").resolve("." + PLAN.clips().getLast().id() + ".mp4.123.part");
        Files.writeString(stale, "half a clip from a killed run");
        long firstModified = Files.getLastModifiedTime(dir.resolve("clips").resolve(PLAN.clips().getFirst().id() + ".mp4")).toMillis();
        AdherenceEval.Run again = AdherenceEval.run(dir, "double", () -> { opened.incrementAndGet(); return model; }, PLAN,
                AdherenceEval.Sampling.DEFAULTS, null);
        assertEquals(1, opened.get(), "nothing left to generate: the model is not even opened");
        assertEquals(28, model.generated.get());
        assertEquals(0, again.generated());
        assertEquals(28, again.skipped());
        assertEquals(1.0, again.all().jointRate());
        assertFalse(Files.exists(stale), "a killed run's temporary file is cleaned up");
        assertEquals(firstModified, Files.getLastModifiedTime(dir.resolve("clips").resolve(PLAN.clips().getFirst().id() + ".mp4")).toMillis());

        AdherenceEval.Run more = AdherenceEval.run(dir, "double", () -> model, AdherencePlan.of(2, 2, 3),
                AdherenceEval.Sampling.DEFAULTS, null);
        assertEquals(28, more.generated(), "k=2 adds one clip per prompt");
        assertEquals(28, more.skipped());
    }

    @Test
    void aDirectoryOfOtherSettingsIsRefused() throws Exception {
        AdherencePlan tiny = AdherencePlan.of(1, 0, 3);
        AdherenceEval.run(dir, "double", RenderingTestDouble::faithful, tiny, AdherenceEval.Sampling.DEFAULTS, null);
        var e = assertThrows(InvalidRequestException.class, () -> AdherenceEval.run(dir, "double", RenderingTestDouble::faithful,
                AdherencePlan.of(1, 0, 4), AdherenceEval.Sampling.DEFAULTS, null));
        assertTrue(e.getMessage().contains("seed 3") && e.getMessage().contains("seed 4"), e.getMessage());
        assertThrows(InvalidRequestException.class, () -> AdherenceEval.run(dir, "double", RenderingTestDouble::faithful,
                tiny, new AdherenceEval.Sampling(10, null), null));
        assertThrows(IllegalArgumentException.class, () -> new AdherenceEval.Sampling(0, null));
        assertThrows(IllegalArgumentException.class, () -> new AdherenceEval.Sampling(null, Double.NaN));
    }

    @Test
    void theDetectorScoresAtLeast98PercentOnGroundTruthOfTheDefaultPlan() throws Exception {
        AdherencePlan plan = AdherencePlan.of(AdherencePlan.DEFAULT_K, AdherencePlan.DEFAULT_SEEN_SAMPLE, 1);
        AdherenceEval.DetectorValidation v = AdherenceEval.validateDetector(dir, plan, null);
        assertEquals(96, v.run().all().clips());
        assertTrue(v.run().all().worstRate() >= AdherenceEval.DETECTOR_THRESHOLD, v.line());
        assertTrue(v.passed());
    }
}
