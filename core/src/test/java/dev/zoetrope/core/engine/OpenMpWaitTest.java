package dev.zoetrope.core.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * libgomp reports the policy it read at load time when OMP_DISPLAY_ENV is set: a JVM started without
 * OMP_WAIT_POLICY (as a library user's would be) must still run libtorch's workers with the passive policy.
 */
class OpenMpWaitTest {
    private static String probe(String policy) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                EngineProbe.class.getName()).redirectErrorStream(true);
        pb.environment().remove(OpenMpWait.VARIABLE);
        if (policy != null) pb.environment().put(OpenMpWait.VARIABLE, policy);
        pb.environment().put("OMP_DISPLAY_ENV", "TRUE");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void passiveWithoutTheVariableAndTheUsersChoiceOtherwise() throws IOException, InterruptedException {
        String unset = probe(null);
        assertTrue(unset.contains("OMP_WAIT_POLICY = 'PASSIVE'"), "libgomp read PASSIVE:\n" + unset);
        assertTrue(unset.contains("source=set by zoetrope"), unset);

        String given = probe("ACTIVE");
        assertTrue(given.contains("OMP_WAIT_POLICY = 'ACTIVE'"), "the user's policy is kept:\n" + given);
        assertTrue(given.contains("source=environment"), given);
        for (String out : List.of(unset, given)) assertTrue(out.contains("matmul 58.0 64.0 139.0 154.0"), out);
    }
}
