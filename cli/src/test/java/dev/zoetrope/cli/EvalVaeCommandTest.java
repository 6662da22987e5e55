package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;

class EvalVaeCommandTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsOfHeldOutClipsAreReadPerShapeAndBackground() throws Exception {
        Path out = dir.resolve("vae");
        CliRun r = CliRun.of("eval", "vae", "--clips", "12", "--out", out.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("PSNR "), r.toString());
        assertTrue(Files.isRegularFile(out.resolve("reconstructions.png")));
        assertTrue(Files.isRegularFile(out.resolve("synth/clips.jsonl")), "the rendered clips are kept for the next run");
        JsonNode eval = Json.readTree(out.resolve("vae_eval.json"));
        assertEquals(12, eval.get("eval_clips").asInt());
        int clips = 0;
        for (JsonNode g : eval.get("by_shape_and_background")) {
            int n = g.get("clips").asInt(), kept = g.get("shape_kept").asInt();
            assertTrue(n > 0 && kept >= 0 && kept <= n, g.toString());
            clips += n;
            // the detector's ground truth, as rendered: a circle's longest chords are all alike, a square's diagonal is √2 of its side
            double rendered = g.get("corner_ratio_rendered").asDouble();
            switch (g.get("shape").asText()) {
                case "circle" -> assertTrue(rendered < 1.1, g.toString());
                case "square" -> assertTrue(rendered > 1.25, g.toString());
                default -> assertTrue(rendered > 0.8, g.toString());
            }
            assertTrue(r.out().contains(g.get("shape").asText() + " on " + g.get("background").asText() + ": " + kept + "/" + n + " kept"), r.toString());
        }
        assertEquals(12, clips, "every clip in one group");
        // the shipped VAE keeps at least most shapes (97% by the fill rule when it was trained)
        assertTrue(eval.get("detector_shape").asDouble() >= 0.5, eval.toString());
        assertTrue(eval.get("psnr_db").asDouble() > 20, eval.toString());

        CliRun again = CliRun.of("eval", "vae", "--clips", "12", "--synth", out.resolve("synth").toString(), "--out", dir.resolve("again").toString());
        assertEquals(0, again.exit(), again.toString());
        assertEquals(r.out().lines().findFirst(), again.out().lines().findFirst(), "the same clips and VAE give the same numbers");
        // a VAE on its own (a training's export has this layout): the model's, so the same numbers
        Path alone = Path.of(System.getProperty("zoetrope.home", ".")).resolve(GenerateCommand.DEFAULT_MODEL).resolve("vae");
        CliRun vae = CliRun.of("eval", "vae", "--vae", alone.toString(), "--clips", "12", "--synth", out.resolve("synth").toString(),
                "--out", dir.resolve("alone").toString());
        assertEquals(0, vae.exit(), vae.toString());
        assertEquals(r.out().lines().findFirst(), vae.out().lines().findFirst());
    }

    @Test
    void badArgumentsAreTheUsersToFix() {
        CliRun none = CliRun.of("eval", "vae", "--clips", "0", "--out", dir.resolve("a").toString());
        assertEquals(2, none.exit(), none.toString());
        assertTrue(none.err().contains("--clips must be at least 1"), none.toString());
        CliRun missing = CliRun.of("eval", "vae", "--synth", dir.resolve("nothing").toString(), "--out", dir.resolve("b").toString());
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("is not a directory of synthetic clips"), missing.toString());
        CliRun model = CliRun.of("eval", "vae", "--model-dir", dir.resolve("no-model").toString(), "--out", dir.resolve("c").toString());
        assertEquals(2, model.exit(), model.toString());
        CliRun both = CliRun.of("eval", "vae", "--model-dir", "a", "--vae", "b", "--out", dir.resolve("d").toString());
        assertEquals(2, both.exit(), both.toString());
        assertTrue(both.err().contains("give one"), both.toString());
    }
}
