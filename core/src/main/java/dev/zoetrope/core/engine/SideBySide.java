package dev.zoetrope.core.engine;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;

/**
 * Independent pieces of libtorch work side by side: one platform thread per engine thread, each running its piece with
 * one libtorch thread. A loop of many small ops, each split across all threads, waits at a barrier after every op (the
 * DiT's self-attention at 360p is about 600 tiles of three ops); side by side, each worker keeps its piece's data in
 * its own core's caches and the threads meet once, at the end. Under load that matters most: a barrier waits for the
 * slowest thread, and a thread the system has scheduled away stalls every op.
 *
 * <p>The one-thread setting is thread-local: OpenMP's {@code omp_set_num_threads}, called through the foreign function
 * API on the libgomp that libtorch loaded, and checked with libtorch's own count in the worker. Where that is not
 * possible (another OpenMP runtime, no native access) {@link #workers()} is 1 and {@link #run} runs in the caller,
 * as the ops did before. Pieces run without autograd: they are for inference.
 */
public final class SideBySide {
    private static volatile ExecutorService pool;
    private static volatile int workers;
    private static final ThreadLocal<Boolean> IS_WORKER = ThreadLocal.withInitial(() -> false);
    private static volatile boolean broken;

    private SideBySide() {}

    /**
     * How many pieces run at once: the calling thread's libtorch thread count when workers can run one libtorch thread
     * each, else 1.
     */
    public static int workers() {
        if (broken || SET_THREADS == null || IS_WORKER.get()) return 1;
        return Math.max(1, torch.get_num_threads());
    }

    /**
     * Runs {@code piece.accept(i)} for every i in [0, pieces) on the workers, each piece in its own worker, and returns
     * when all have finished; the first failure is thrown. With one worker, or called from a worker, the pieces run in
     * the caller, one after the other.
     */
    public static void run(int pieces, IntConsumer piece) {
        int n = workers();
        if (pieces <= 1 || n < 2 || IS_WORKER.get()) {
            for (int i = 0; i < pieces; i++) piece.accept(i);
            return;
        }
        ExecutorService p = pool(n);
        List<Future<?>> running = new ArrayList<>(pieces);
        for (int i = 0; i < pieces; i++) {
            int index = i;
            running.add(p.submit(() -> {
                try (NoGradGuard ng = new NoGradGuard()) {
                    piece.accept(index);
                }
            }));
        }
        Throwable failure = null;
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException r) throw r;
        if (failure instanceof Error e) throw e;
        if (failure != null) throw new EngineException("a side-by-side piece failed: " + failure, failure);
    }

    private static ExecutorService pool(int n) {
        ExecutorService p = pool;
        if (p != null && workers == n) return p;
        synchronized (SideBySide.class) {
            if (pool != null && workers == n) return pool;
            if (pool != null) pool.shutdown();
            workers = n;
            pool = Executors.newFixedThreadPool(n, r -> {
                Thread t = new Thread(() -> {
                    IS_WORKER.set(true);
                    oneLibtorchThread();
                    r.run();
                }, "zoetrope-side-by-side");
                t.setDaemon(true);
                return t;
            });
            return pool;
        }
    }

    /**
     * In a fresh worker: libtorch sets a new thread's OpenMP count from its global one on first use, so that comes
     * first; then this thread's count goes to 1, which libtorch must then report, or the workers are given up.
     */
    private static void oneLibtorchThread() {
        torch.get_num_threads();
        try {
            SET_THREADS.invokeExact(1);
        } catch (Throwable e) {
            broken = true;
            return;
        }
        if (torch.get_num_threads() != 1) broken = true;
    }

    /** {@code omp_set_num_threads} of the libgomp in libtorch's native folder, or null. */
    private static final MethodHandle SET_THREADS = findSetThreads();

    private static MethodHandle findSetThreads() {
        try {
            Engine.init();
            for (File folder : Engine.nativeFolders()) {
                File gomp = new File(folder, "libgomp.so.1");
                if (!gomp.isFile()) continue;
                SymbolLookup lookup = SymbolLookup.libraryLookup(gomp.toPath(), Arena.global());
                var symbol = lookup.find("omp_set_num_threads");
                if (symbol.isPresent())
                    return Linker.nativeLinker().downcallHandle(symbol.get(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            }
            return null;
        } catch (Throwable e) {
            return null;
        }
    }
}
