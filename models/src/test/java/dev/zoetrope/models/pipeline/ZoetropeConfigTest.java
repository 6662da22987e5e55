package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.config.ConfigException;

/** zoetrope.json is checked before anything is allocated; each mistake is one line naming the file and the field. */
class ZoetropeConfigTest {
    @TempDir
    Path tmp;

    private String refusal(String json) throws IOException {
        Path f = tmp.resolve("zoetrope.json");
        Files.writeString(f, json);
        String m = assertThrows(ConfigException.class, () -> ZoetropeConfig.read(f)).getMessage();
        assertTrue(m.startsWith(f.toString()), m);
        assertFalse(m.contains("\n"), "one line: " + m);
        return m;
    }

    @Test
    void impossibleValuesAreRefusedBeforeAnyAllocation() throws IOException {
        assertTrue(refusal("{\"resolutions\": {\"huge\": [640000, 360]}}").contains("each side must be at most 8192"));
        assertTrue(refusal("{\"fps\": 0}").contains("fps must be within 1..240"));
        assertTrue(refusal("{\"min_seconds\": 5, \"max_seconds\": 2}").contains("min_seconds 5.0 is above max_seconds 2.0"));
        assertTrue(refusal("{\"default_seconds\": -1}").contains("default_seconds must be above 0"));
        assertTrue(refusal("{\"default_steps\": 0}").contains("default_steps must be within 1..1000"));
        assertTrue(refusal("{\"default_guidance\": 1e9}").contains("default_guidance must be within 0..100"));
        assertTrue(refusal("{\"fps\": \"fast\"}").contains("field 'fps' must be a whole number"));
        assertTrue(refusal("{\"default_seed\": -1}").contains("default_seed must be 0 or more"));
    }

    @Test
    void theShippedModelsConfigIsAccepted() {
        ZoetropeConfig c = ZoetropeConfig.read(Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny", "zoetrope.json"));
        assertEquals(8, c.fps());
        assertArrayEquals(new int[]{64, 64}, c.resolutionSizes().get("64p"));
    }
}
