package dev.zoetrope.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.dist.Topology;

/**
 * Two ranks as two threads of this JVM, each with its own model and its own gloo process group, against one process
 * training alone at the same global batch.
 */
class DataParallelTest {
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Every parameter's values, in order. */
    static List<float[]> weights(ToyRegression task) {
        List<float[]> out = new ArrayList<>();
        for (Tensor t : task.parameters().values()) out.add(Tensors.toFloats(t.detach().contiguous()));
        return out;
    }

    @Test
    void twoRanksTrainAsOneProcessWithTheSameGlobalBatch(@TempDir Path dir) throws Exception {
        int steps = 30;
        TrainConfig cfg = TrainerTest.config(steps); // global batch 64, 2 micro-batches, clipping, EMA
        ToyRegression alone = new ToyRegression(7);
        new Trainer(alone, cfg, dir.resolve("alone"), "alone", null).run(false);
        List<Double> expected = TrainerTest.losses(dir.resolve("alone"));
        List<float[]> single = weights(alone);
        alone.close();

        int port = freePort();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<List<float[]>>> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            int rank = r;
            ranks.add(pool.submit(() -> {
                // rank 1 starts from other weights: the broadcast from rank 0 must replace them
                ToyRegression task = new ToyRegression(rank == 0 ? 7 : 99);
                try (ProcessGroup g = ProcessGroup.join(new Topology(rank, 2, rank, "127.0.0.1", port), Duration.ofSeconds(60), false)) {
                    new Trainer(task, cfg, dir.resolve("rank" + rank), "rank" + rank, g).run(false);
                    return weights(task);
                } finally {
                    task.close();
                }
            }));
        }
        List<float[]> w0 = ranks.get(0).get(), w1 = ranks.get(1).get();
        pool.shutdown();

        // the ranks hold bit-identical weights: the same all-reduced sums, the same update
        for (int i = 0; i < w0.size(); i++) assertTrue(java.util.Arrays.equals(w0.get(i), w1.get(i)), "parameter " + i + " differs between ranks");
        assertFalse(Files.exists(dir.resolve("rank1")), "rank 1 writes nothing");
        List<Double> got = TrainerTest.losses(dir.resolve("rank0"));
        assertEquals(expected.size(), got.size());
        // the same samples in the same order; only the summation order of the mean differs (float rounding)
        double lossDiff = 0;
        for (int i = 0; i < expected.size(); i++) lossDiff = Math.max(lossDiff, Math.abs(expected.get(i) - got.get(i)));
        for (int i = 0; i < expected.size(); i++)
            assertEquals(expected.get(i), got.get(i), 1e-5 * Math.max(1, Math.abs(expected.get(i))), "loss at step " + (i + 1));
        double maxDiff = 0;
        for (int i = 0; i < single.size(); i++)
            for (int j = 0; j < single.get(i).length; j++) maxDiff = Math.max(maxDiff, Math.abs(single.get(i)[j] - w0.get(i)[j]));
        System.err.printf("2 ranks vs 1: losses differ by at most %.3g, weights by %.3g%n", lossDiff, maxDiff);
        assertTrue(maxDiff < 1e-4, "weights after " + steps + " steps differ by " + maxDiff);
        assertTrue(Files.exists(dir.resolve("rank0/checkpoints")), "rank 0 checkpoints");
    }

    /** Trains {@code cfg} with 2 ranks whose gradients go in buckets of {@code bucket} elements; rank 0's weights. */
    static List<float[]> twoRanks(Path dir, TrainConfig cfg, long bucket, boolean overlap) throws Exception {
        int port = freePort();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<float[]>>> ranks = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                ranks.add(pool.submit(() -> {
                    ToyRegression task = new ToyRegression(7);
                    try (ProcessGroup g = ProcessGroup.join(new Topology(rank, 2, rank, "127.0.0.1", port), Duration.ofSeconds(60), false)) {
                        g.bucketing(bucket, overlap);
                        new Trainer(task, cfg, dir.resolve("rank" + rank), "rank" + rank, g).run(false);
                        return weights(task);
                    } finally {
                        task.close();
                    }
                }));
            }
            List<float[]> w0 = ranks.get(0).get(), w1 = ranks.get(1).get();
            for (int i = 0; i < w0.size(); i++) assertTrue(java.util.Arrays.equals(w0.get(i), w1.get(i)), "parameter " + i + " differs between ranks");
            return w0;
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aRankThatIsStuckButAliveStopsTheRunWithinTheTimeoutAndIsNamed(@TempDir Path dir) throws Exception {
        int port = freePort(), timeout = 6, stuckAt = 5;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++)
            ranks.add(new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    StuckRankProbe.class.getName(), Integer.toString(r), Integer.toString(port), dir.resolve("rank" + r).toString(),
                    Integer.toString(stuckAt), Integer.toString(timeout))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("rank" + r + ".log").toFile()).start());
        try {
            long started = System.nanoTime();
            // the timeout, the silence window (2 s) and a few heartbeats to tell a stuck peer from a dead one, plus start-up
            assertTrue(ranks.get(0).waitFor(60, TimeUnit.SECONDS), "rank 0 still waits a minute on");
            double took = (System.nanoTime() - started) / 1e9;
            String log0 = Files.readString(dir.resolve("rank0.log"));
            assertEquals(1, ranks.get(0).exitValue(), log0);
            assertTrue(log0.contains("did not complete within " + timeout + " s") && log0.contains("stuck before it, though alive: rank 1 at step " + stuckAt),
                    "rank 0 names the rank that is behind and where: " + log0);
            // rank 1 hears of it at its next heartbeat, though its training thread is still stuck
            assertTrue(ranks.get(1).waitFor(20, TimeUnit.SECONDS), "rank 1 did not stop");
            String log1 = Files.readString(dir.resolve("rank1.log"));
            assertEquals(ProcessGroup.LOST_RANK_EXIT, ranks.get(1).exitValue(), log1);
            assertTrue(log1.contains("lost rank 0"), log1);
            System.err.printf("stuck rank: rank 0 stopped after %.1f s (timeout %d s)%n", took, timeout);
        } finally {
            for (Process p : ranks) p.destroyForcibly();
        }
    }

    @Test
    void aRunResumesWithAnotherWorldSize(@TempDir Path dir) throws Exception {
        int steps = 30;
        TrainConfig cfg = TrainerTest.config(steps);
        ToyRegression whole = new ToyRegression(7);
        new Trainer(whole, cfg, dir.resolve("whole"), "whole", null).run(false);
        whole.close();
        List<Double> expected = TrainerTest.losses(dir.resolve("whole"));

        ToyRegression first = new ToyRegression(7);
        new Trainer(first, cfg, dir.resolve("run"), "alone", null).run(false, 20);
        first.close();
        int port = freePort();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<Trainer.Outcome>> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            int rank = r;
            ranks.add(pool.submit(() -> {
                ToyRegression task = new ToyRegression(99); // everything must come from rank 0's checkpoint
                try (ProcessGroup g = ProcessGroup.join(new Topology(rank, 2, rank, "127.0.0.1", port), Duration.ofSeconds(60), false)) {
                    return new Trainer(task, cfg, dir.resolve(rank == 0 ? "run" : "elsewhere"), "rank" + rank, g).run(true);
                } finally {
                    task.close();
                }
            }));
        }
        assertEquals(20, ranks.get(0).get().startStep());
        assertEquals(20, ranks.get(1).get().startStep(), "rank 1 starts where rank 0's checkpoint is");
        pool.shutdown();
        List<Double> got = TrainerTest.losses(dir.resolve("run"));
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < 20; i++) assertEquals(expected.get(i), got.get(i), 0.0, "one process's steps are kept as they were");
        // the same batches in the same order after the change of world size; only the rounding of the average differs
        for (int i = 20; i < steps; i++) assertEquals(expected.get(i), got.get(i), 1e-5, "loss at step " + (i + 1));
    }

    @Test
    void aGlobalBatchThatDoesNotDivideIsRefused() {
        Topology three = new Topology(0, 3, 0, "127.0.0.1", 29500);
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> three.perRankBatch(64));
        assertTrue(e.getMessage().contains("64") && e.getMessage().contains("3 processes"), e.getMessage());
        assertEquals(16, new Topology(1, 4, 1, "127.0.0.1", 29500).perRankBatch(64));
        assertEquals(new Share(64, 32, 32), Share.of(64, 1, 2));
    }

    @Test
    void theEnvironmentOfALauncherNamesTheRank() {
        assertTrue(Topology.fromEnvironment(Map.of()).isEmpty(), "no WORLD_SIZE: alone");
        Topology t = Topology.fromEnvironment(Map.of("WORLD_SIZE", "4", "RANK", "3", "MASTER_ADDR", "10.0.0.1", "MASTER_PORT", "1234"))
                .orElseThrow();
        assertEquals(new Topology(3, 4, 3, "10.0.0.1", 1234), t);
        assertEquals(t, Topology.fromEnvironment(t.environment()).orElseThrow(), "what a launcher sets is read back");
        assertThrows(InvalidRequestException.class, () -> Topology.fromEnvironment(Map.of("WORLD_SIZE", "2")), "RANK missing");
        assertThrows(InvalidRequestException.class, () -> Topology.fromEnvironment(Map.of("WORLD_SIZE", "2", "RANK", "2")), "rank outside");
        assertThrows(InvalidRequestException.class, () -> Topology.fromEnvironment(Map.of("WORLD_SIZE", "two", "RANK", "0")));
    }
}
