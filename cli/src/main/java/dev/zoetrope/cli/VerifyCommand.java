package dev.zoetrope.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.pipeline.Comparison;
import dev.zoetrope.models.pipeline.FixtureVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check this port against golden tensors: runs every case in a fixture directory (DiT forward, "
                + "VAE encode/decode, whole pipeline, sampler schedules, T5, tokenizer) and prints the max absolute "
                + "and relative error per tensor. Exits 1 if any tensor is off by more than the tolerance."})
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--fixture", required = true, paramLabel = "DIR",
            description = "A directory laid out like the project's testdata/fixtures/* (README.json, or T5 configs and tokenizer cases).")
    Path fixture;

    @Option(names = "--tolerance", paramLabel = "REL", description = "Allowed max|Δ| relative to max|expected| (default: ${DEFAULT-VALUE}).")
    double tolerance = Comparison.TOLERANCE;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Override
    public Integer call() {
        ComputeDevice where = device.parsed();
        Engine.init();
        List<FixtureVerifier.Check> checks = FixtureVerifier.discover(fixture, where.resolve());
        int failed = 0, tensors = 0;
        for (FixtureVerifier.Check check : checks) {
            System.out.println("[" + check.name() + "]");
            long t0 = System.nanoTime();
            try {
                List<Comparison> results = check.run().get();
                if (results.isEmpty()) {
                    System.out.println("  MISMATCH: nothing was compared");
                    failed++;
                }
                for (Comparison c : results) {
                    tensors++;
                    if (!c.passes(tolerance)) failed++;
                    System.out.println("  " + c.describe(tolerance));
                }
            } catch (RuntimeException e) {
                failed++;
                System.out.println("  FAILED: " + Errors.message(e));
                if (!Errors.isUserError(e) || System.getenv("ZOETROPE_DEBUG") != null) e.printStackTrace(System.out);
            }
            System.out.printf(Locale.ROOT, "  (%.1f s)%n", (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf(Locale.ROOT, "%s: %d checks, %d tensors compared, %s%n", fixture, checks.size(), tensors,
                failed == 0 ? "all within " + tolerance + " relative" : failed + " MISMATCHED");
        return failed == 0 ? 0 : 1;
    }
}
