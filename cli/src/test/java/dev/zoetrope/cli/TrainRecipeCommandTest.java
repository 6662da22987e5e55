package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;

/**
 * `train --recipe micro` from nothing to a model directory that carries its training record and generates; then
 * `train --recipe micro-turbo` distils it into a student that generates in 4 steps.
 */
class TrainRecipeCommandTest {
    @TempDir
    Path dir;

    @Test
    void microRecipeExportsAModelWithItsTrainingRecordThatGeneratesAndDistils() throws Exception {
        Path model = dir.resolve("model");
        CliRun train = CliRun.of("train", "--recipe", "micro", "--work", dir.resolve("work").toString(),
                "--model-out", model.toString());
        assertEquals(0, train.exit(), train.toString());
        for (String f : List.of("zoetrope.json", "dit/config.json", "vae/config.json", "training/recipe.json",
                "training/vae-vae_eval.json", "training/vae-reconstructions.png", "training/dit-loss.png",
                "training/dit-samples-step-10.png", "training/dit-samples-step-20.png"))
            assertTrue(Files.size(model.resolve(f)) > 0, f);
        assertTrue(Files.readString(model.resolve("training/recipe.json")).contains("\"micro\""));
        // the sampler's shift is the one the DiT was trained with
        double trained = dev.zoetrope.train.recipe.Recipe.load("micro").dit().shift();
        assertEquals(trained, dev.zoetrope.models.pipeline.ModelDirectory.detect(model).shift());

        Path out = dir.resolve("out.mp4");
        CliRun gen = CliRun.of("generate", "a red circle moving left on a black background", "--model-dir",
                model.toString(), "--num-steps", "2", "-o", out.toString());
        assertEquals(0, gen.exit(), gen.toString());
        assertTrue(Files.size(out) > 1000, "mp4 of " + Files.size(out) + " bytes");

        // the micro-lora recipe adapts it on its own latent shards; generate --lora loads the adapter back
        Path adapter = dir.resolve("micro.safetensors");
        CliRun lora = CliRun.of("train", "--recipe", "micro-lora", "--from", model.toString(), "--shards",
                dir.resolve("work/latents").toString(), "--work", dir.resolve("lora").toString(), "--model-out", adapter.toString());
        assertEquals(0, lora.exit(), lora.toString());
        assertTrue(lora.out().contains("generate --lora " + adapter), lora.out());
        Path adapted = dir.resolve("adapted.mp4");
        CliRun withLora = CliRun.of("generate", "a red circle moving left on a black background", "--model-dir", model.toString(),
                "--num-steps", "2", "--lora", adapter + ":1.5", "-o", adapted.toString());
        assertEquals(0, withLora.exit(), withLora.toString());
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(out), Files.readAllBytes(adapted)), "the adapter changes the clip");
        CliRun noBase = CliRun.of("train", "--recipe", "lora", "--shards", dir.resolve("work/latents").toString(), "--work",
                dir.resolve("lora2").toString());
        assertEquals(2, noBase.exit(), noBase.toString());
        assertTrue(noBase.err().contains("--from MODEL_DIR"), noBase.err());

        // the micro-turbo recipe distils that model; its student generates with 4 steps and no guidance by default
        ObjectNode turbo = dev.zoetrope.train.recipe.Recipe.source("micro-turbo").json().deepCopy();
        turbo.put("teacher", model.toString());
        Path recipe = dir.resolve("micro-turbo.json");
        Json.write(recipe, turbo);
        Path student = dir.resolve("student");
        CliRun distil = CliRun.of("train", "--recipe", recipe.toString(), "--work", dir.resolve("turbo").toString(),
                "--model-out", student.toString());
        assertEquals(0, distil.exit(), distil.toString());
        assertTrue(distil.err().contains("== micro-turbo: pairs") && distil.err().contains("== micro-turbo: distill"), distil.err());
        CliRun wrongStage = CliRun.of("train", "--recipe", recipe.toString(), "--work", dir.resolve("turbo").toString(), "--stage", "vae");
        assertEquals(2, wrongStage.exit(), wrongStage.toString());
        assertTrue(wrongStage.err().contains("pairs, distill or export"), wrongStage.err());
        Path fast = dir.resolve("fast.mp4");
        CliRun quick = CliRun.of("generate", "a red circle moving left on a black background", "--model-dir", student.toString(),
                "-o", fast.toString());
        assertEquals(0, quick.exit(), quick.toString());
        assertTrue(quick.out().contains("4 steps, guidance 0.00"), quick.out());
    }

    @Test
    void vaeFromGoesWithARecipeThatTrainsFromNothingAndItsVaeStage() {
        CliRun lora = CliRun.of("train", "--recipe", "micro-lora", "--vae-from", dir.toString(), "--work", dir.resolve("w").toString());
        assertEquals(2, lora.exit(), lora.toString());
        assertTrue(lora.err().contains("--vae-from goes with a recipe that trains from nothing"), lora.toString());
        CliRun ditOnly = CliRun.of("train", "--recipe", "micro", "--vae-from", dir.toString(), "--stage", "dit",
                "--work", dir.resolve("w").toString());
        assertEquals(2, ditOnly.exit(), ditOnly.toString());
        assertTrue(ditOnly.err().contains("--vae-from replaces the vae stage"), ditOnly.toString());
        CliRun nothing = CliRun.of("train", "--recipe", "micro", "--vae-from", dir.resolve("no-vae").toString(), "--stage", "vae",
                "--work", dir.resolve("w").toString());
        assertEquals(2, nothing.exit(), nothing.toString());
        assertTrue(nothing.err().contains("no vae.safetensors and config.json"), nothing.toString());
    }
}
