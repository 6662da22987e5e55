package dev.zoetrope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.curate.bench.CurateBench;
import dev.zoetrope.curate.bench.ShotBench;
import dev.zoetrope.curate.pipeline.CurateOptions;
import dev.zoetrope.curate.testset.TestSetMaker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The curation benchmarks. Unlike the engine's, they do not load libtorch (no VAE here), so they are plain commands
 * rather than {@link BenchSubcommand}s; each prints the load average beside its numbers, since they are ratios taken
 * on a machine that may be shared.
 */
final class BenchCurateCommand {
    private BenchCurateCommand() {}

    /** The validation corpus in {@code dir}, made there first if it holds none. */
    static Path corpus(Path dir, boolean small) throws Exception {
        if (!Files.isRegularFile(dir.resolve("truth.json")))
            new TestSetMaker(dir, small ? TestSetMaker.Size.SMALL : TestSetMaker.Size.FULL, System.err).make();
        return dir;
    }

    static String load() {
        return String.format(Locale.ROOT, "load average %.2f on %d cores",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
    }

    @Command(name = "curate", mixinStandardHelpOptions = true,
            description = "Curation throughput on the validation corpus: the Direct runner (as curate runs it, and with Beam's element checks) "
                    + "and embedded Flink at parallelism 1 and 2, taking turns, each from scratch; clips/s, clips per CPU-second "
                    + "and the ratio to Direct.")
    static final class Curate implements Callable<Integer> {
        @Option(names = "--testset", required = true, description = "Validation corpus directory (made there if absent).")
        Path testset;
        @Option(names = "--work", required = true, description = "Directory for the runs' outputs.")
        Path work;
        @Option(names = "--full", description = "Make the full corpus instead of the small one when it is absent.")
        boolean full;
        @Option(names = "--rounds", defaultValue = "2", description = "Rounds of the runners (default ${DEFAULT-VALUE}).")
        int rounds;
        @Option(names = "--resolution", defaultValue = "96x54", description = "Output size WxH (default ${DEFAULT-VALUE}).")
        String resolution;

        @Override
        public Integer call() throws Exception {
            BenchSubcommand.requirePositive("--rounds", rounds);
            String[] wh = resolution.toLowerCase(Locale.ROOT).split("x");
            if (wh.length != 2) throw new InvalidRequestException("--resolution must be WxH, not '" + resolution + "'");
            Path videos = corpus(testset, !full).resolve("videos");
            CurateOptions o = CurateOptions.defaults(List.of(videos.toString()), work.toString())
                    .withSize(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
            System.out.println("bench curate: " + videos + " at " + resolution + ", " + load());
            List<CurateBench.Row> rows = CurateBench.run(o, work, rounds, System.err);
            System.out.print(CurateBench.table(rows));
            System.out.println(load());
            return 0;
        }
    }

    @Command(name = "shots", mixinStandardHelpOptions = true,
            description = "Shot detection on the validation corpus's multi-shot videos: zoetrope's detector against FFmpeg's "
                    + "scdet filter on the same 160-pixel-wide frames; precision, recall and F1 within 2 frames, frames/s.")
    static final class Shots implements Callable<Integer> {
        @Option(names = "--testset", required = true, description = "Validation corpus directory (made there if absent).")
        Path testset;
        @Option(names = "--small", description = "Make the small corpus instead of the full one when it is absent.")
        boolean small;
        @Option(names = "--scdet-threshold", split = ",", description = "scdet thresholds, one row each (default: 5,10,20).")
        double[] thresholds = {5, 10, 20};
        @Option(names = "--rounds", defaultValue = "2", description = "Passes over the videos; each is printed (default ${DEFAULT-VALUE}).")
        int rounds;

        @Override
        public Integer call() throws Exception {
            BenchSubcommand.requirePositive("--rounds", rounds);
            Path dir = corpus(testset, small);
            System.out.println("bench shots: " + dir + ", " + load());
            for (int r = 1; r <= rounds; r++) {
                System.out.println("round " + r);
                System.out.print(ShotBench.table(ShotBench.run(dir, thresholds, 2)));
            }
            System.out.println(load());
            return 0;
        }
    }
}
