package dev.zoetrope.core.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The process environment as native libraries see it (libc's, not the JVM's snapshot in {@link System#getenv}):
 * settings that libgomp and libtorch read once, which the engine sets before libtorch loads.
 */
final class ProcessEnvironment {
    private ProcessEnvironment() {}

    /** libc {@code setenv(name, value, 0)}: a value already set is kept. */
    static void set(String name, String value) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) setenv.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0);
            if (rc != 0) throw new IllegalStateException("setenv returned " + rc);
        }
    }

    /** libc {@code getenv(name)}, or null when unset. */
    static String get(String name) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = (MemorySegment) getenv.invokeExact(arena.allocateFrom(name));
            return v.equals(MemorySegment.NULL) ? null : v.reinterpret(Long.MAX_VALUE).getString(0);
        }
    }
}
