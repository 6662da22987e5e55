package dev.zoetrope.models.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.safetensors.Weights;

class ParamsTest {
    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    @Test
    void loadsWithShapeCheckAndNamesMissingTensors() {
        Engine.init();
        try (Weights w = Weights.open(fixtures().resolve("linum-tiny/dit.safetensors"));
             Params p = Params.load(w, dev.zoetrope.models.dit.DitKeyLayout.LINUM, null)) {
            assertArrayEquals(new long[]{64, 16, 1, 2, 2}, p.shapeOf("patch_embedding.weight"));
            assertEquals(64, p.get("patch_embedding.bias", Role.BIAS, 64).size(0));
            ModelLoadException wrong = assertThrows(ModelLoadException.class, () -> p.get("patch_embedding.bias", Role.BIAS, 65));
            assertTrue(wrong.getMessage().contains("[64]") && wrong.getMessage().contains("[65]"), wrong.getMessage());
            ModelLoadException missing = assertThrows(ModelLoadException.class, () -> p.get("blocks.9.norm3.weight", Role.GAIN, 64));
            assertTrue(missing.getMessage().contains("model.blocks.9.norm3.weight"), missing.getMessage());
        }
    }
}
