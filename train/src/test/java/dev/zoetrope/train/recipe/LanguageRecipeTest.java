package dev.zoetrope.train.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.dit.LatentSet;
import dev.zoetrope.train.synth.Captioner;

/** The micro recipe with a {@code language} section, its VAE adopted from the shared micro model. */
class LanguageRecipeTest {
    @TempDir
    Path dir;

    private static Recipe micro(int phrasings) {
        ObjectNode json = Recipe.source("micro").json().deepCopy();
        ((ObjectNode) json.path("synth")).put("frames", 17);
        ObjectNode language = json.putObject("language");
        language.put("vocab_size", 128).put("corpus_captions", 2000).put("phrasings", phrasings).put("subword_dropout", 0.2).put("seed", 3);
        return Recipe.parse(json, "micro with language");
    }

    @Test
    void aRecipeWithLanguageTrainsOnSeveralPhrasingsWithASubwordTokenizerAndAnAdoptedVae() throws Exception {
        Path base = MicroModel.model(), work = dir.resolve("work"), out = dir.resolve("model");
        new RecipeRunner(micro(4), work, out, dev.zoetrope.core.engine.ComputeDevice.CPU, base).run(List.of());

        assertArrayEquals(Files.readAllBytes(base.resolve("vae/vae.safetensors")), Files.readAllBytes(out.resolve("vae/vae.safetensors")),
                "the adopted VAE is exported as it was");
        assertTrue(Files.isRegularFile(out.resolve("training/vae-vae_eval.json")), "with its training record");
        try (LatentSet set = LatentSet.read(work.resolve("latents"))) {
            assertEquals(24, set.size());
            for (int[][] rows : set.textIds()) assertEquals(4, rows.length);
        }
        Tokenizer t = Tokenizers.load(work.resolve("tokenizer"));
        assertEquals("Unigram", Json.readTree(work.resolve("tokenizer/tokenizer.json")).path("model").path("type").asText());
        for (String w : Captioner.HELD_OUT_WORDS) assertFalse(t.pieces(w).contains("▁" + w), w + " was held out of the corpus");
        assertTrue(t.vocabSize() <= 128 + 60, "vocabulary " + t.vocabSize());
    }

    @Test
    void aVaeOfAnotherConfigIsRefused() throws Exception {
        ObjectNode json = Recipe.source("micro").json().deepCopy();
        ((ObjectNode) json.path("vae").path("model")).put("base_dim", 8);
        Recipe other = Recipe.parse(json, "micro with a wider VAE");
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> new RecipeRunner(other, dir.resolve("w"),
                dir.resolve("m"), dev.zoetrope.core.engine.ComputeDevice.CPU, MicroModel.model()).run(List.of(RecipeRunner.Stage.VAE)));
        assertTrue(e.getMessage().contains("is not the recipe's"), e.getMessage());
    }
}
