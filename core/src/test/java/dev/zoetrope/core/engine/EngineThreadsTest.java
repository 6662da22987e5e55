package dev.zoetrope.core.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EngineThreadsTest {
    @Test
    void unsetOrBlankMeansOneThreadPerCore() {
        assertEquals(8, Engine.parseThreads("ZOETROPE_THREADS", null, 8));
        assertEquals(3, Engine.parseThreads("ZOETROPE_THREADS", "  ", 3));
    }

    @Test
    void aWholeNumberIsTaken() {
        assertEquals(1, Engine.parseThreads("ZOETROPE_THREADS", "1", 8));
        assertEquals(4, Engine.parseThreads("ZOETROPE_THREADS", " 4 ", 8));
        assertEquals(64, Engine.parseThreads("ZOETROPE_THREADS", "64", 2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-2", "two", "1.5", "99999", "4 threads"})
    void anythingElseIsRefusedClearly(String value) {
        EngineException e = assertThrows(EngineException.class, () -> Engine.parseThreads("ZOETROPE_THREADS", value, 2));
        assertTrue(e.getMessage().contains("ZOETROPE_THREADS") && e.getMessage().contains("'" + value + "'"), e.getMessage());
    }

    @Test
    void theSystemPropertyWinsOverTheEnvironment() {
        String before = System.getProperty("zoetrope.threads");
        try {
            System.setProperty("zoetrope.threads", "3");
            assertEquals(3, Engine.requestedThreads());
            System.setProperty("zoetrope.threads", "none");
            EngineException e = assertThrows(EngineException.class, Engine::requestedThreads);
            assertTrue(e.getMessage().contains("-Dzoetrope.threads"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty("zoetrope.threads");
            else System.setProperty("zoetrope.threads", before);
        }
    }

    @Test
    void theEngineRunsWithTheRequestedThreads() {
        Engine.EngineInfo info = Engine.init();
        assertEquals(Engine.requestedThreads(), info.threads());
        assertEquals(info.threads(), torch.get_num_threads());
        assertTrue(info.describeThreads().startsWith(info.threads() + (info.threads() == 1 ? " thread" : " threads")),
                info.describeThreads());
        assertTrue(info.blasThreads() >= 1, "OpenBLAS's pool is read: " + info.blasThreads());
        assertTrue(info.describe().contains(info.describeThreads() + ", natives"), info.describe());
    }
}
