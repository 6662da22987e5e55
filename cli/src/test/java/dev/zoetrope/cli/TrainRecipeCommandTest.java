package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `train --recipe micro` from nothing to a model directory that carries its training record and generates. */
class TrainRecipeCommandTest {
    @TempDir
    Path dir;

    @Test
    void microRecipeExportsAModelWithItsTrainingRecordThatGenerates() throws Exception {
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
    }
}
