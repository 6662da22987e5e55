package dev.zoetrope.models;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

import dev.zoetrope.models.dit.DitConfig;

class ModelFamilyTest {
    @Test
    void wanSizesFollowItsReleaseTable() {
        DitConfig small = ModelFamily.WAN.dit();                                   // 1.3B, dim 1536
        DitConfig large = new DitConfig(ModelFamily.WAN, 5120, 13824, 40, 40, 256, 4096, 512, 16, 16,
                new DitConfig.PatchSize(1, 2, 2), 1e-6, 1e-6, true, true, false, true, true, false); // 14B
        assertTrue(ModelFamily.WAN.official(small, 832, 480) && ModelFamily.WAN.official(small, 480, 832));
        assertFalse(ModelFamily.WAN.official(small, 1280, 720), "the 1.3B model was made for 480p only");
        assertTrue(ModelFamily.WAN.official(large, 1280, 720) && ModelFamily.WAN.official(large, 720, 1280));
        assertFalse(ModelFamily.WAN.official(large, 640, 360));
        for (String name : ModelFamily.WAN.resolutions().keySet())
            assertTrue(name.startsWith("480p") || name.startsWith("720p"), name);
    }

    @Test
    void wanDefaultsToItsOwnNegativePrompt() {
        var caps = ModelFamily.WAN.capabilities("480p");
        assertEquals(ModelFamily.WAN_NEGATIVE_PROMPT, caps.defaultNegativePrompt());
        assertTrue(caps.defaultNegativePrompt().contains("最差质量"), "Wan's shared config text");
        assertEquals("", ModelFamily.LINUM.capabilities("360p").defaultNegativePrompt());
        assertEquals(81, ModelFamily.WAN.frames(caps.defaultSeconds()));
    }

    @Test
    void familyFactsHaveOneHome() {
        assertEquals(ModelFamily.LINUM.textLength(), ModelFamily.LINUM.dit().textLen());
        assertEquals(ModelFamily.WAN.layerNormEps(), ModelFamily.WAN.dit().layerNormEps());
        assertEquals(ModelFamily.WAN, ModelFamily.parse("wan2.1"));
        assertThrows(dev.zoetrope.core.config.ConfigException.class, () -> ModelFamily.parse("sora"));
    }
}
