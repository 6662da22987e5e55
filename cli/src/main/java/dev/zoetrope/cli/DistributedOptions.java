package dev.zoetrope.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.dist.Topology;
import picocli.CommandLine.Option;

/**
 * Data-parallel training in torchrun's terms: {@code --nproc-per-node K} starts K ranks on this machine (child processes
 * running this same command line), {@code --nnodes N --node-rank R} places them among N machines, all meeting at
 * {@code --master-addr:--master-port}. A process whose environment already names its place ({@code WORLD_SIZE},
 * {@code RANK}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}, as torchrun or a scheduler sets them)
 * joins the run as it is.
 */
final class DistributedOptions {
    @Option(names = "--nnodes", paramLabel = "N", description = "Machines in a data-parallel run (default: ${DEFAULT-VALUE}).")
    int nnodes = 1;

    @Option(names = "--node-rank", paramLabel = "R", description = "This machine's place among --nnodes, 0 for the one at "
            + "--master-addr (default: ${DEFAULT-VALUE}).")
    int nodeRank = 0;

    @Option(names = "--nproc-per-node", paramLabel = "K", description = "Training processes (ranks) to start on this machine; "
            + "each computes its share of the recipe's batch_size, the global batch (default: ${DEFAULT-VALUE}).")
    int nprocPerNode = 1;

    @Option(names = "--master-addr", paramLabel = "HOST", description = "Where rank 0 runs and the ranks meet "
            + "(default: ${DEFAULT-VALUE}).")
    String masterAddr = "127.0.0.1";

    @Option(names = "--master-port", paramLabel = "PORT", description = "The port the ranks meet at (default: ${DEFAULT-VALUE}).")
    int masterPort = Topology.DEFAULT_PORT;

    @Option(names = "--dist-timeout", paramLabel = "SECONDS", description = "How long a rank waits for the others, at the start "
            + "and at every all-reduce, before it stops with an error naming the rank it lost (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds = ProcessGroup.DEFAULT_TIMEOUT.toSeconds();

    @Option(names = "--bucket-mb", paramLabel = "MB", description = "Size of the gradient buckets the ranks all-reduce, in "
            + "megabytes of float32 (default: ${DEFAULT-VALUE}).")
    int bucketMb = (int) (ProcessGroup.BUCKET_ELEMENTS * 4 / (1 << 20));

    @Option(names = "--grad-overlap", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Start each bucket's all-reduce during the backward, as soon as its gradients are in, as PyTorch's "
            + "DDP does (the default); --no-grad-overlap reduces after the backward.")
    boolean gradOverlap = true;

    /**
     * Runs {@code train}: alone; or as one rank of the run the environment names (plain {@code cuda} then meaning the
     * device {@code LOCAL_RANK}); or, with more than one process asked for, as the launcher of this machine's ranks,
     * returning the first failing rank's status.
     */
    int run(DeviceOption device, Callable<Integer> train) throws Exception {
        if (timeoutSeconds < 1) throw new InvalidRequestException("--dist-timeout must be at least 1 second");
        if (bucketMb < 1 || bucketMb > 4096) throw new InvalidRequestException("--bucket-mb must be within 1..4096, got " + bucketMb);
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        Optional<Topology> place = Topology.fromEnvironment(System.getenv());
        if (place.isEmpty()) {
            if (nnodes < 1 || nprocPerNode < 1) throw new InvalidRequestException("--nnodes and --nproc-per-node must be at least 1");
            if (nodeRank < 0 || nodeRank >= nnodes) throw new InvalidRequestException("--node-rank must be within 0.." + (nnodes - 1));
            if (nnodes * nprocPerNode == 1) return train.call();
            return launch(timeout);
        }
        Topology t = place.get();
        ComputeDevice asked = device.parsed();
        boolean anyCuda = asked instanceof ComputeDevice.Auto || asked instanceof ComputeDevice.Cuda c && c.index() == ComputeDevice.Cuda.FIRST;
        if (anyCuda && device.resolve() instanceof ComputeDevice.Cuda) device.device = "cuda:" + t.localRank();
        boolean cuda = device.resolve() instanceof ComputeDevice.Cuda;
        ProcessGroup group = ProcessGroup.install(ProcessGroup.join(t, timeout, cuda)
                .bucketing(bucketMb * (1L << 20) / 4, gradOverlap));
        int status;
        try {
            status = train.call();
        } catch (Exception | Error e) {
            group.fail();
            throw e;
        }
        group.close();
        return status;
    }

    /** Starts this machine's ranks with this process's own command line and waits for them. */
    private int launch(Duration timeout) throws Exception {
        ProcessHandle.Info self = ProcessHandle.current().info();
        if (self.command().isEmpty() || self.arguments().isEmpty())
            throw new InvalidRequestException("cannot read this process's command line to start the ranks; start each rank with "
                    + "WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR and MASTER_PORT set instead");
        List<String> cmd = new ArrayList<>();
        cmd.add(self.command().get());
        cmd.addAll(List.of(self.arguments().get()));
        int world = nnodes * nprocPerNode;
        List<Process> ranks = new ArrayList<>();
        for (int local = 0; local < nprocPerNode; local++) {
            Topology t = new Topology(nodeRank * nprocPerNode + local, world, local, masterAddr, masterPort);
            // rank 0 reports; the others' stdout repeats it (their errors still show)
            ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
            if (local > 0 || nodeRank > 0) pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Map<String, String> env = new HashMap<>(t.environment());
            // each rank keeps to its share of the cores unless told otherwise: libtorch's threads and OpenBLAS's own pool,
            // whose spinning threads would otherwise outnumber the cores (docs/performance.md, "Data-parallel training")
            String share = Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors() / nprocPerNode));
            for (String knob : List.of("ZOETROPE_THREADS", "OPENBLAS_NUM_THREADS"))
                if (System.getenv(knob) == null) env.put(knob, share);
            pb.environment().putAll(env);
            ranks.add(pb.start());
        }
        // Ctrl-C reaches the ranks too (they share the terminal): they checkpoint and stop together; wait for that
        Thread hook = new Thread(() -> ranks.forEach(p -> waitFor(p, timeout)));
        Runtime.getRuntime().addShutdownHook(hook);
        int status = 0;
        List<Process> running = new ArrayList<>(ranks);
        while (!running.isEmpty()) {
            for (Process p : List.copyOf(running)) {
                if (p.isAlive()) continue;
                running.remove(p);
                if (p.exitValue() != 0 && status == 0) {
                    status = p.exitValue();
                    // the others notice the lost rank and stop by themselves within the timeout; then they are ended
                    long deadline = System.nanoTime() + timeout.toNanos() + TimeUnit.SECONDS.toNanos(5);
                    for (Process q : running) waitFor(q, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                    running.forEach(Process::destroyForcibly);
                }
            }
            Thread.sleep(100);
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        return status;
    }

    private static void waitFor(Process p, Duration d) {
        try {
            p.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
