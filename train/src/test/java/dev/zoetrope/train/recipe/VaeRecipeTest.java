package dev.zoetrope.train.recipe;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.train.vae.VaeTrainingTask;

/** The VAE section of a recipe: its loss terms as written, their defaults, and bad values named. */
class VaeRecipeTest {
    private static Recipe withVae(String key, double value) {
        ObjectNode json = Recipe.source("micro").json().deepCopy();
        ((ObjectNode) json.path("vae")).put(key, value);
        return Recipe.parse(json, "micro with " + key);
    }

    @Test
    void edgeWeightIsReadAndDefaultsToNone() {
        assertEquals(0.0, Recipe.load("micro").vae().edgeWeight(), "no edge term unless a recipe asks");
        assertEquals(1.5, withVae("edge_weight", 1.5).vae().edgeWeight());
        ConfigException e = assertThrows(ConfigException.class, () -> withVae("edge_weight", -1));
        assertTrue(e.getMessage().contains("micro with edge_weight") && e.getMessage().contains("edge_weight must be"), e.getMessage());
    }

    @Test
    void reconstructionIsReadAndDefaultsToSquaredError() {
        assertEquals(VaeTrainingTask.Reconstruction.L2, Recipe.load("micro").vae().reconstruction());
        ObjectNode json = Recipe.source("micro").json().deepCopy();
        ((ObjectNode) json.path("vae")).put("reconstruction", "l1");
        assertEquals(VaeTrainingTask.Reconstruction.L1, Recipe.parse(json, "micro with l1").vae().reconstruction());
        ((ObjectNode) json.path("vae")).put("reconstruction", "huber");
        ConfigException e = assertThrows(ConfigException.class, () -> Recipe.parse(json, "micro with huber"));
        assertTrue(e.getMessage().contains("micro with huber") && e.getMessage().contains("huber"), e.getMessage());
    }
}
