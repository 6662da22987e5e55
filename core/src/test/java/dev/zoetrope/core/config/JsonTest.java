package dev.zoetrope.core.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTest {
    @TempDir
    Path dir;

    record ModelConfig(int dModel, int numLayers, List<Integer> patchSize) {}

    @Test
    void readsSnakeCaseIgnoringExtrasAndWritesItBack() throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"d_model\": 64, \"num_layers\": 2, \"patch_size\": [1, 2, 2], \"extra\": true}");
        ModelConfig c = Json.read(f, ModelConfig.class);
        assertEquals(new ModelConfig(64, 2, List.of(1, 2, 2)), c);
        Path out = dir.resolve("out/config.json");
        Json.write(out, c);
        assertTrue(Files.readString(out).contains("\"num_layers\" : 2"), Files.readString(out));
        assertEquals(c, Json.read(out, ModelConfig.class));
    }

    @Test
    void errorsNameTheFileAndTheProblem() throws IOException {
        Path missing = dir.resolve("absent.json");
        ConfigException e = assertThrows(ConfigException.class, () -> Json.readTree(missing));
        assertEquals(missing + ": no such file", e.getMessage());

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"d_model\": ");
        e = assertThrows(ConfigException.class, () -> Json.readTree(bad));
        assertTrue(e.getMessage().startsWith(bad + ": not valid JSON"), e.getMessage());

        Path wrongType = dir.resolve("wrong.json");
        Files.writeString(wrongType, "{\"d_model\": \"wide\"}");
        e = assertThrows(ConfigException.class, () -> Json.read(wrongType, ModelConfig.class));
        assertTrue(e.getMessage().startsWith(wrongType + ": not a valid ModelConfig"), e.getMessage());
    }
}
