package dev.zoetrope.cli;

import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.bench.KernelBench;
import dev.zoetrope.core.engine.Engine;

/**
 * A {@code zoetrope bench} subcommand: checks its options, prints the engine it runs on, then measures. Bad options
 * fail with a clear message before libtorch loads.
 */
abstract class BenchSubcommand implements Callable<Integer> {
    /** Checks the options (an {@link InvalidRequestException} naming the flags) and returns the measurement to run. */
    abstract Runnable measurement();

    @Override
    public final Integer call() {
        Runnable measure = measurement();
        System.out.println(Engine.init().describe());
        measure.run();
        return 0;
    }

    /** Refuses any value below 1, saying "{@code flags} must be positive". */
    static void requirePositive(String flags, int... values) {
        for (int v : values)
            if (v < 1) throw new InvalidRequestException(flags + " must be positive");
    }

    /** One kernel's line: name, GFLOP/s, runs and best time. */
    static void print(KernelBench.Result r) {
        System.out.printf(Locale.ROOT, "%-44s %8.1f GFLOP/s  (best of %d: %.4f s)%n", r.name(), r.gflops(), r.runs(), r.bestSeconds());
    }
}
