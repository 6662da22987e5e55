package dev.zoetrope.core.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory, native tensors included, from {@code /proc/self/status}: for benchmarks that
 * report what a run costs in RAM. Linux only; elsewhere every figure is -1.
 */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** The resident set now, in bytes. */
    public static long resident() {
        return status("VmRSS:");
    }

    /** The peak resident set (VmHWM) since the process started or since the last {@link #resetPeak}, in bytes. */
    public static long peak() {
        return status("VmHWM:");
    }

    /** Resets the kernel's peak (VmHWM) to the current resident set. */
    public static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux, or not allowed: the peak then counts from the process start
        }
    }

    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(field)) return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]) * 1024;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
