package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;

/** Restarts and shutdowns lose no job: a killed server's jobs run at the next start; a graceful stop requeues. */
class ServiceLifecycleTest {
    @Test
    void killedMidJobTheJobCompletesAfterRestart(@TempDir Path data) throws Exception {
        String key;
        try (ServiceDatabase db = ServiceDatabase.open(data)) {
            key = new ApiKeys(db).add("restart").secret();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ServerProcessMain.class.getName(),
                data.toString(), "200"))
                .redirectError(data.resolve("child.log").toFile()).start();
        String running;
        String queued;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "child server printed nothing; see its log: " + readQuietly(data.resolve("child.log")));
            assertTrue(line.startsWith("PORT "), line);
            ServiceClient c = new ServiceClient(URI.create("http://127.0.0.1:" + line.substring(5) + "/"));
            running = c.submit(key, "{\"prompt\":\"interrupted\",\"steps\":40}");
            queued = c.submit(key, "{\"prompt\":\"waiting\",\"steps\":2}");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (c.get("/v1/videos/" + running, key).json().get("progress").asDouble() <= 0.1) {
                assertTrue(System.nanoTime() < deadline, "the job never made progress");
                Thread.sleep(50);
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS), "child server did not die");
        }

        // What the dead process left: one job still marked running, one queued, no finished video.
        try (ServiceDatabase db = ServiceDatabase.open(data)) {
            JobStore store = new JobStore(db);
            assertEquals(JobStatus.RUNNING, store.find(running).orElseThrow().status());
            assertEquals(JobStatus.QUEUED, store.find(queued).orElseThrow().status());
        }
        assertFalse(Files.exists(data.resolve("videos").resolve(running + ".mp4")));

        TestPatternGenerator model = new TestPatternGenerator(5);
        try (ZoetropeServer server = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0), model)) {
            ServiceClient c = new ServiceClient(server.uri());
            JsonNode first = c.awaitFinal(key, running, Duration.ofSeconds(30));
            JsonNode second = c.awaitFinal(key, queued, Duration.ofSeconds(30));
            assertEquals("done", first.get("status").asText(), first.toString());
            assertEquals(2, first.get("attempts").asInt(), "the interrupted job ran a second time");
            assertEquals("done", second.get("status").asText());
            assertEquals(1, second.get("attempts").asInt());
            assertEquals(200, c.get("/v1/videos/" + running + "/content", key).status());
            assertEquals(2, model.calls(), "each job ran exactly once after the restart");
        }
        try (var work = Files.list(data.resolve("work"))) {
            assertEquals(0, work.count(), "partial outputs of the killed run were cleaned up");
        }
    }

    @Test
    void gracefulShutdownRequeuesARunningJobThatOutlastsTheGrace(@TempDir Path data) throws Exception {
        String id;
        String key;
        TestPatternGenerator slow = new TestPatternGenerator(100);
        ZoetropeServer server = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0)
                .withShutdownGrace(Duration.ofMillis(300)), slow);
        try {
            key = server.keys().add("k").secret();
            ServiceClient c = new ServiceClient(server.uri());
            id = c.submit(key, "{\"prompt\":\"long\",\"steps\":50}");
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!c.get("/v1/videos/" + id, key).json().get("status").asText().equals("running")) {
                assertTrue(System.nanoTime() < deadline);
                Thread.sleep(20);
            }
        } finally {
            server.close();
        }
        try (ServiceDatabase db = ServiceDatabase.open(data)) {
            Job job = new JobStore(db).find(id).orElseThrow();
            assertEquals(JobStatus.QUEUED, job.status(), "a job cut short by shutdown goes back to the queue");
        }
        // The next start runs it to the end.
        try (ZoetropeServer again = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0), new TestPatternGenerator(1))) {
            assertEquals("done", new ServiceClient(again.uri()).awaitFinal(key, id, Duration.ofSeconds(20)).get("status").asText());
        }
    }

    @Test
    void gracefulShutdownLetsAShortJobFinish(@TempDir Path data) throws Exception {
        ZoetropeServer server = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0)
                .withShutdownGrace(Duration.ofSeconds(20)), new TestPatternGenerator(100));
        String key = server.keys().add("k").secret();
        ServiceClient c = new ServiceClient(server.uri());
        String id = c.submit(key, "{\"prompt\":\"short\",\"steps\":8}");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!c.get("/v1/videos/" + id, key).json().get("status").asText().equals("running")) {
            assertTrue(System.nanoTime() < deadline);
            Thread.sleep(20);
        }
        server.close();
        try (ServiceDatabase db = ServiceDatabase.open(data)) {
            assertEquals(JobStatus.DONE, new JobStore(db).find(id).orElseThrow().status());
        }
        assertTrue(Files.size(data.resolve("videos").resolve(id + ".mp4")) > 0);
    }

    @Test
    void aSecondServerOnTheSameDataIsRefused(@TempDir Path data) {
        try (ZoetropeServer first = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0), new TestPatternGenerator(1))) {
            var e = assertThrows(InvalidRequestException.class,
                    () -> ZoetropeServer.start(ServeOptions.defaults(data).withPort(0), new TestPatternGenerator(1)));
            assertTrue(e.getMessage().contains("another zoetrope server"), e.getMessage());
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }
}
