package dev.zoetrope.curate.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.zoetrope.curate.pipeline.CurateOptions;
import dev.zoetrope.curate.pipeline.CuratePipeline;
import dev.zoetrope.curate.pipeline.Finalizer;
import dev.zoetrope.curate.pipeline.ShardExtras;

/**
 * Curation throughput of the runners on one corpus, from scratch each time (a fresh output directory, so nothing is
 * reused): the Direct runner, and embedded Flink at parallelism 1 and 2. The runners take turns round by round, so a
 * busy machine slows them alike, after one unreported run of each that loads and compiles the code (the first run in
 * a JVM took twice the CPU time of later ones); each run records its wall time, the process's CPU time (all runners run inside this
 * JVM, so clips per CPU-second is clips/s per fully busy core) and the load average when it started.
 */
public final class CurateBench {
    /** A runner and its Beam arguments; {@code parallelism} is how many tasks it runs a step with. */
    public record Setting(String name, String runner, List<String> args, int parallelism) {}

    public record Row(Setting setting, int round, long clips, double wallSeconds, double cpuSeconds, double load) {
        public double clipsPerSecond() {
            return clips / wallSeconds;
        }

        public double clipsPerCpuSecond() {
            return clips / cpuSeconds;
        }
    }

    /**
     * Direct as {@code curate} runs it (a thread per core, without the runner's element checks), Direct with Beam's
     * default checks that every element survives encoding and is not mutated (as the tests run it), and embedded Flink
     * at parallelism 1 and 2.
     */
    public static List<Setting> settings() {
        int cores = Runtime.getRuntime().availableProcessors();
        return List.of(new Setting("direct", "DirectRunner", List.of("--enforceImmutability=false", "--enforceEncodability=false"), cores),
                new Setting("direct+chk", "DirectRunner", List.of(), cores),
                new Setting("flink p=1", "FlinkRunner", List.of("--flinkMaster=[local]", "--parallelism=1"), 1),
                new Setting("flink p=2", "FlinkRunner", List.of("--flinkMaster=[local]", "--parallelism=2"), 2));
    }

    private CurateBench() {}

    public static List<Row> run(CurateOptions base, Path work, int rounds, PrintStream log) throws IOException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        List<Row> rows = new ArrayList<>();
        for (int round = 0; round <= rounds; round++) {
            for (Setting s : settings()) {
                Path out = work.resolve(s.name().replaceAll("[^a-z0-9]+", "-") + "-" + round);
                if (Files.exists(out)) Finalizer.deleteTree(out);
                CurateOptions o = new CurateOptions(base.inputs(), out.toString(), base.minClipSeconds(), base.maxClipSeconds(),
                        base.fps(), base.width(), base.height(), base.trimFrames(), base.filter(), base.modelPath(), base.vlm(),
                        base.clipsPerShard(), base.crf(), base.maxSourcePixels(), base.rangeSeconds());
                double load = os.getSystemLoadAverage();
                long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                Finalizer.Summary summary = CuratePipeline.run(o, s.runner(), s.args(), ShardExtras.NONE, quiet);
                Row r = new Row(s, round, summary.clips(), (System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - cpu0) / 1e9, load);
                if (round > 0) rows.add(r);
                log.printf(Locale.ROOT, "%s %-10s %d clips in %.1f s (load %.1f)%n", round == 0 ? "warm-up" : "round " + round,
                        s.name(), r.clips(), r.wallSeconds(), load);
            }
        }
        return rows;
    }

    /** The table printed by {@code zoetrope bench curate}: each run, and its wall clips/s against the Direct runner's in the same round. */
    public static String table(List<Row> rows) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-5s %-11s %5s %8s %8s %9s %12s %13s %10s %5s%n",
                "round", "runner", "clips", "wall s", "CPU s", "clips/s", "clips/s/task", "clips/CPU-s", "vs direct", "load"));
        for (Row r : rows) {
            double direct = rows.stream().filter(x -> x.round() == r.round() && x.setting().name().equals("direct"))
                    .mapToDouble(Row::clipsPerSecond).findFirst().orElse(Double.NaN);
            s.append(String.format(Locale.ROOT, "%-5d %-11s %5d %8.1f %8.1f %9.3f %12.3f %13.3f %10.2f %5.1f%n", r.round(),
                    r.setting().name(), r.clips(), r.wallSeconds(), r.cpuSeconds(), r.clipsPerSecond(),
                    r.clipsPerSecond() / r.setting().parallelism(), r.clipsPerCpuSecond(), r.clipsPerSecond() / direct, r.load()));
        }
        return s.toString();
    }
}
