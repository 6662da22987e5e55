package dev.zoetrope.core.io;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Gives back the pages of a memory-mapped file once they have been read. Checkpoints are mapped and read once, tensor
 * by tensor, into memory of their own; the mapped pages stay counted in the process's resident set until the mapping
 * closes, so loading a 22.7 GB file would look like (and, under pressure, cost) 22.7 GB more. {@code madvise(DONTNEED)}
 * drops them from this process; they stay in the page cache. Linux only; elsewhere a no-op. {@code
 * -Dzoetrope.mapped.keep=true} turns it off, to measure the difference.
 */
public final class MappedPages {
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = find();

    private MappedPages() {}

    private static MethodHandle find() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
        if (Boolean.getBoolean("zoetrope.mapped.keep")) return null; // for measuring what releasing saves
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: reading still works, the pages are just counted until the file closes
        }
    }

    /** Drops the whole pages inside {@code slice} (a part of a mapped file) from this process's resident set. */
    public static void release(MemorySegment slice) {
        if (MADVISE == null || slice.byteSize() == 0) return;
        long start = (slice.address() + PAGE - 1) / PAGE * PAGE, end = (slice.address() + slice.byteSize()) / PAGE * PAGE;
        if (end <= start) return;
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_DONTNEED);
        } catch (Throwable e) {
            // advice only: a refusal leaves the pages counted, nothing else
        }
    }
}
