package dev.zoetrope.core.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class HugePagesTest {
    @Test
    void theEngineAsksLibtorchForHugePagesUnlessTheEnvironmentSaysOtherwise() throws Throwable {
        Engine.init();
        String given = System.getenv(HugePages.VARIABLE);
        if (given == null || given.isBlank()) {
            assertEquals("1", ProcessEnvironment.get(HugePages.VARIABLE), "set for libtorch before it loaded");
            assertTrue(HugePages.enabled());
        } else {
            assertEquals(given, ProcessEnvironment.get(HugePages.VARIABLE), "the user's value is kept");
            assertEquals(!given.strip().equals("0"), HugePages.enabled());
        }
    }
}
