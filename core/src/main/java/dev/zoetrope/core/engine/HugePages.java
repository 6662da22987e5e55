package dev.zoetrope.core.engine;

/**
 * Transparent huge pages for libtorch's large CPU tensors. A tensor above glibc's mmap threshold (at most 32 MiB) is
 * mapped fresh on every allocation and unmapped when freed, so each one is faulted in and zeroed again, 4 KiB at a
 * time; at real model sizes that costs more than the arithmetic of most element-wise ops (a float32 multiply over
 * 11,960 × 1,664 tokens: 37 ms of CPU with 4 KiB pages, 10 ms with huge pages, docs/performance.md). libtorch
 * aligns allocations of 2 MiB and more to 2 MiB and asks the kernel for huge pages ({@code madvise(MADV_HUGEPAGE)})
 * when {@code THP_MEM_ALLOC_ENABLE} is set, which it reads once; the engine sets it before libtorch loads unless
 * the environment already says (0 turns it off). It has effect where the kernel's transparent huge pages are
 * {@code always} or {@code madvise}.
 */
public final class HugePages {
    static final String VARIABLE = "THP_MEM_ALLOC_ENABLE";

    private HugePages() {}

    /** Must run before libtorch loads; returns a warning for the log, or null. */
    static String apply() {
        String given = System.getenv(VARIABLE);
        if (given != null && !given.isBlank()) return null;
        try {
            ProcessEnvironment.set(VARIABLE, "1");
            return null;
        } catch (Throwable e) {
            return "could not set " + VARIABLE + " (" + e + "): large tensors use 4 KiB pages; set " + VARIABLE
                    + "=1 in the environment before starting Java for faster element-wise ops";
        }
    }

    /** Whether libtorch's allocator asks for huge pages in this process (the variable as libc sees it). */
    public static boolean enabled() {
        try {
            String v = ProcessEnvironment.get(VARIABLE);
            return v != null && !v.isBlank() && !v.strip().equals("0");
        } catch (Throwable e) {
            return false;
        }
    }
}
