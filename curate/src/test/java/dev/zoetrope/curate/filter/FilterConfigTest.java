package dev.zoetrope.curate.filter;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterConfigTest {
    @TempDir
    Path dir;

    @Test
    void readsMinVisibleAndRefusesTheOldBrightnessThresholdByName() throws Exception {
        Path ok = Files.writeString(dir.resolve("ok.json"), """
                {"static_motion": 0.1, "min_sharpness": 0, "min_visible": 0.02, "max_brightness": 1, "max_border": 1,
                 "max_text": 0.05, "duplicate_distance": 14, "min_aesthetic": 0.5}""");
        assertEquals(0.02, FilterConfig.read(ok).minVisible());

        Path old = Files.writeString(dir.resolve("old.json"), """
                {"static_motion": 0.1, "min_sharpness": 0, "min_brightness": 0.15, "max_brightness": 1, "max_border": 1,
                 "max_text": 0.05, "duplicate_distance": 14, "min_aesthetic": 0.5}""");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FilterConfig.read(old));
        assertTrue(e.getMessage().contains("min_brightness") && e.getMessage().contains("min_visible"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> new FilterConfig(0.5, 25, 1.5, 0.9, 0.08, 0.05, 14, 0.5));
    }
}
