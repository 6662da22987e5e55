package dev.zoetrope.core.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The OpenMP wait policy of libtorch's thread pool. libgomp's workers spin between parallel regions unless
 * {@code OMP_WAIT_POLICY=PASSIVE}; with small tensors and as many workers as cores they starve the JVM's own threads
 * and generation takes twice as long on 2 cores. libgomp reads the variable once, when it loads, and has no call to
 * change it later, so the engine sets it in the process environment (libc {@code setenv}, through the foreign function
 * API) before libtorch loads. A policy the user set is kept; when it is too late or not possible, {@link #apply}
 * says so with the fix.
 */
public final class OpenMpWait {
    static final String VARIABLE = "OMP_WAIT_POLICY";

    private OpenMpWait() {}

    /**
     * What was decided.
     *
     * @param policy the policy libgomp runs with (ACTIVE stands for its default, spinning a while)
     * @param source how: {@code environment}, {@code set by zoetrope}, or {@code default}
     * @param warning what the user should do, or null when nothing
     */
    public record Decision(String policy, String source, String warning) {}

    /** Must run before libtorch (and with it libgomp) loads. */
    static Decision apply() {
        String given = System.getenv(VARIABLE);
        if (given != null && !given.isBlank()) return new Decision(given.strip().toUpperCase(java.util.Locale.ROOT), "environment", null);
        String fix = "set " + VARIABLE + "=PASSIVE in the environment before starting Java (the zoetrope launcher does); "
                + "without it generation can run twice as slow on few cores";
        if (libgompLoaded())
            return new Decision("ACTIVE", "default", "libgomp was loaded before the engine, with its spinning wait policy: " + fix);
        try {
            ProcessEnvironment.set(VARIABLE, "PASSIVE");
            return new Decision("PASSIVE", "set by zoetrope", null);
        } catch (Throwable e) {
            // e.g. --illegal-native-access=deny, or a libc without setenv
            return new Decision("ACTIVE", "default", "could not set " + VARIABLE + " (" + e + "): " + fix);
        }
    }

    /** Whether a libgomp is mapped into this process already (Linux; elsewhere assumed not). */
    private static boolean libgompLoaded() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return false;
        try {
            return Files.readString(maps).contains("libgomp");
        } catch (IOException e) {
            return false;
        }
    }
}
