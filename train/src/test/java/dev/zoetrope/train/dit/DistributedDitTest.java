package dev.zoetrope.train.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.dist.Topology;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.loop.MetricsLog;
import dev.zoetrope.train.recipe.Recipe;
import dev.zoetrope.train.recipe.RecipeRunner;

/**
 * The micro recipe's DiT stage with two ranks, each its own JVM on loopback (gloo), against one process at the same
 * global batch; and a rank killed mid-run.
 */
@Tag("slow")
class DistributedDitTest {
    @TempDir
    static Path shared;

    static Path work;

    @BeforeAll
    static void microData() throws IOException {
        work = shared.resolve("work");
        new RecipeRunner(Recipe.parse(Recipe.source("micro").json(), "micro"), work, shared.resolve("model"))
                .run(List.of(RecipeRunner.Stage.SYNTH, RecipeRunner.Stage.TOKENIZER, RecipeRunner.Stage.VAE, RecipeRunner.Stage.LATENTS));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts rank {@code rank} of 2 with its output in {@code log}. */
    static Process rank(int rank, int port, Path runDir, int steps, boolean resume, Path log) throws IOException {
        return rank(rank, port, work, runDir, steps, resume, log);
    }

    static Process rank(int rank, int port, Path work, Path runDir, int steps, boolean resume, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DitRankProbe.class.getName(), work.toString(), runDir.toString(), Integer.toString(steps), Boolean.toString(resume))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(new Topology(rank, 2, rank, "127.0.0.1", port).environment());
        pb.environment().put("ZOETROPE_THREADS", "1");
        return pb.start();
    }

    static List<Double> losses(Path runDir) throws IOException {
        List<Double> out = new ArrayList<>();
        for (JsonNode n : MetricsLog.read(runDir.resolve("metrics.jsonl"))) out.add(n.get("loss").asDouble());
        return out;
    }

    static void finish(Process p, Path log, int seconds) throws Exception {
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "a rank did not finish: " + Files.readString(log));
        assertEquals(0, p.exitValue(), Files.readString(log));
    }

    @Test
    void twoRanksMatchOneProcessAtTheSameGlobalBatch() throws Exception {
        int steps = 20;
        Path alone = shared.resolve("alone");
        DitTraining.run(work.resolve("latents"), work.resolve("tokenizer"), alone, DitRankProbe.options(work.resolve("tokenizer"), steps),
                false, steps, null);
        int port = freePort();
        Path dp = shared.resolve("dp"), dp1 = shared.resolve("dp-rank1");
        Process r0 = rank(0, port, dp, steps, false, shared.resolve("r0.log")), r1 = rank(1, port, dp1, steps, false, shared.resolve("r1.log"));
        finish(r0, shared.resolve("r0.log"), 300);
        finish(r1, shared.resolve("r1.log"), 60);
        assertFalse(Files.exists(dp1), "rank 1 writes nothing");

        List<Double> expected = losses(alone), got = losses(dp);
        assertEquals(steps, got.size());
        double lossDiff = 0;
        for (int i = 0; i < steps; i++) lossDiff = Math.max(lossDiff, Math.abs(expected.get(i) - got.get(i)) / Math.abs(expected.get(i)));
        double weightDiff = 0;
        try (Checkpoints.Loaded a = new Checkpoints(alone).latest().orElseThrow(); Checkpoints.Loaded b = new Checkpoints(dp).latest().orElseThrow()) {
            assertEquals(steps, b.step());
            for (Map.Entry<String, Tensor> e : a.params().entrySet()) {
                float[] x = Tensors.toFloats(e.getValue()), y = Tensors.toFloats(b.params().get(e.getKey()));
                for (int i = 0; i < x.length; i++) weightDiff = Math.max(weightDiff, Math.abs(x[i] - y[i]));
            }
        }
        System.err.printf("micro DiT, 2 ranks vs 1 over %d steps: losses differ by at most %.3g (relative), weights by %.3g%n", steps,
                lossDiff, weightDiff);
        // the same samples and noise; a batch of 2 instead of 4 per matmul and a mean of two means round differently
        assertTrue(lossDiff < 1e-4, "losses differ by " + lossDiff);
        assertTrue(weightDiff < 1e-4, "weights differ by " + weightDiff);
    }

    @Test
    void aKilledRankStopsTheOtherNamingItAndResumeCompletes() throws Exception {
        int steps = 60;
        int port = freePort();
        Path dp = shared.resolve("killed");
        Path log0 = shared.resolve("k0.log"), log1 = shared.resolve("k1.log");
        Process r0 = rank(0, port, dp, steps, false, log0), r1 = rank(1, port, dp, steps, false, log1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (new Checkpoints(dp).list().isEmpty() && System.nanoTime() < deadline && r0.isAlive()) Thread.sleep(50);
        assertTrue(r0.isAlive() && r1.isAlive(), "ranks ended before one could be killed: " + Files.readString(log0));
        r1.destroyForcibly().waitFor(); // SIGKILL
        long killed = System.nanoTime();
        // the silence window of a 20 s timeout is 5 s; the collective in flight fails at once
        assertTrue(r0.waitFor(60, TimeUnit.SECONDS), "rank 0 still runs a minute after rank 1 was killed");
        double took = (System.nanoTime() - killed) / 1e9;
        String said = Files.readString(log0);
        System.err.printf("rank 0 stopped %.1f s after rank 1 was killed: %s%n", took,
                said.lines().filter(l -> l.contains("lost rank")).findFirst().orElse(said));
        assertEquals(ProcessGroup.LOST_RANK_EXIT, r0.exitValue(), said);
        assertTrue(said.contains("lost rank 1"), said);
        assertTrue(took < 20, "stopped " + took + " s after the kill");
        int done = new Checkpoints(dp).list().size();
        assertTrue(done >= 1);

        int port2 = freePort();
        Process again0 = rank(0, port2, dp, steps, true, log0), again1 = rank(1, port2, dp, steps, true, log1);
        finish(again0, log0, 300);
        finish(again1, log1, 60);
        String resumed = Files.readString(log0);
        assertTrue(resumed.contains("resuming at step"), resumed);
        List<Double> l = losses(dp);
        assertEquals(steps, l.size(), "the metrics cover the whole run once");
        assertTrue(l.stream().allMatch(Double::isFinite));
        try (Checkpoints.Loaded last = new Checkpoints(dp).latest().orElseThrow()) {
            assertEquals(steps, last.step());
        }
    }

    @Test
    void aRankThatFailsIsNamedAtOnce() throws Exception {
        int port = freePort();
        Path log0 = shared.resolve("f0.log"), log1 = shared.resolve("f1.log");
        Process r0 = rank(0, port, shared.resolve("failed"), 20, false, log0);
        // rank 1 has no data: it fails after joining, while rank 0 waits for it in the first broadcast
        Process r1 = rank(1, port, shared.resolve("nowhere"), shared.resolve("failed-1"), 20, false, log1);
        assertTrue(r1.waitFor(120, TimeUnit.SECONDS));
        assertEquals(2, r1.exitValue(), Files.readString(log1));
        long failed = System.nanoTime();
        assertTrue(r0.waitFor(30, TimeUnit.SECONDS), "rank 0 still runs after rank 1 failed");
        double took = (System.nanoTime() - failed) / 1e9;
        String said = Files.readString(log0);
        assertEquals(ProcessGroup.LOST_RANK_EXIT, r0.exitValue(), said);
        assertTrue(said.contains("lost rank 1 (it stopped with an error"), said);
        assertTrue(took < 5, "rank 0 stopped " + took + " s after rank 1's error; the silence window is 5 s");
    }
}
