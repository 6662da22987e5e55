package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.curate.testset.TestSetMaker;
import dev.zoetrope.train.shards.ShardTensor;

/**
 * A Flink session cluster of separate JVMs on loopback (a JobManager, {@code StandaloneSessionClusterEntrypoint}, and
 * a TaskManager with 2 slots, {@code TaskManagerRunner}, both from flink-runtime), a curation run submitted to it, and
 * the same run on the Direct runner: the same decisions and shard contents.
 */
@Tag("slow")
class FlinkClusterTest {
    @TempDir
    Path dir;

    @Test
    void aCurationRunOnAFlinkClusterOfProcessesEqualsTheDirectRunners() throws Exception {
        new TestSetMaker(dir.resolve("testset"), TestSetMaker.Size.SMALL, new PrintStream(new ByteArrayOutputStream())).make();
        int rpc = DataPorts.free(), rest = DataPorts.free();
        Path conf = dir.resolve("conf");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("flink-conf.yaml"), String.join("\n",
                "jobmanager.rpc.address: localhost", "jobmanager.rpc.port: " + rpc, "jobmanager.bind-host: localhost",
                "rest.address: localhost", "rest.bind-address: localhost", "rest.port: " + rest,
                "taskmanager.host: localhost", "taskmanager.bind-host: localhost", "taskmanager.numberOfTaskSlots: 2",
                "taskmanager.resource-id: tm-0", "taskmanager.cpu.cores: 2", "jobmanager.memory.process.size: 800m",
                // the standalone scripts derive these; started directly, a TaskManager needs them spelled out
                "taskmanager.memory.framework.heap.size: 128m", "taskmanager.memory.task.heap.size: 768m",
                "taskmanager.memory.task.off-heap.size: 0m", "taskmanager.memory.managed.size: 128m",
                "taskmanager.memory.framework.off-heap.size: 128m", "taskmanager.memory.network.min: 256m",
                "taskmanager.memory.network.max: 256m", "taskmanager.memory.jvm-metaspace.size: 256m",
                "taskmanager.memory.jvm-overhead.min: 192m", "taskmanager.memory.jvm-overhead.max: 192m", ""));
        List<Process> cluster = new ArrayList<>();
        try {
            cluster.add(start("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", conf, dir.resolve("jm.log")));
            cluster.add(start("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", conf, dir.resolve("tm.log")));
            awaitSlots(rest, 2, Duration.ofSeconds(120), cluster);

            ShardExtras ids = (clip, caption, frames) -> List.of(ShardTensor.textIds(clip.clipId().chars().toArray()));
            Path direct = dir.resolve("direct"), flink = dir.resolve("flink");
            Finalizer.Summary a = CuratePipeline.run(options(direct), "DirectRunner", List.of(), ids, quiet());
            Finalizer.Summary b = CuratePipeline.run(options(flink), "FlinkRunner",
                    List.of("--flinkMaster=localhost:" + rest, "--parallelism=2"), ids, quiet());
            assertEquals(a, b, "the same summary");
            assertTrue(a.accepted() > 0 && a.accepted() < a.clips(), a.toString());
            assertEquals(Files.readAllLines(direct.resolve("manifest.jsonl")), Files.readAllLines(flink.resolve("manifest.jsonl")));
            assertEquals(FlinkRunnerTest.shardContents(direct), FlinkRunnerTest.shardContents(flink));
            assertTrue(get(rest, "/jobs/overview").contains("\"state\":\"FINISHED\""), "the job ran on the cluster");
        } finally {
            for (Process p : cluster) p.destroyForcibly().waitFor();
        }
    }

    private Process start(String main, Path conf, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), main, "--configDir", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("FLINK_CONF_DIR", conf.toString());
        return pb.start();
    }

    private static void awaitSlots(int rest, int slots, Duration timeout, List<Process> cluster) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Process p : cluster) assertTrue(p.isAlive(), "a cluster process ended early");
            try {
                if (get(rest, "/overview").contains("\"slots-total\":" + slots)) return;
            } catch (java.io.IOException notYet) {
                // the REST endpoint is not up yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the cluster did not offer " + slots + " slots within " + timeout);
    }

    private static String get(int port, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    private CurateOptions options(Path out) {
        CurateOptions o = CurateOptions.defaults(List.of(dir.resolve("testset/videos").toString()), out.toString()).withSize(96, 54);
        return new CurateOptions(o.inputs(), o.out(), 2.0, 5.0, 24, 96, 54, 0, o.filter(), null, null, 4, o.crf());
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }

    /** Free loopback ports. */
    static final class DataPorts {
        static int free() throws java.io.IOException {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                return s.getLocalPort();
            }
        }
    }
}
