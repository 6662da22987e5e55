package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * One API instance and two worker processes sharing a real PostgreSQL store and a results directory, on loopback: every
 * job runs exactly once, and a worker killed mid-job (SIGKILL: no shutdown hook, no requeue) loses nothing: its lease
 * runs out and the other worker runs the job again. About 20 s on two cores: in the default suite.
 */
class SharedStoreProcessesTest {
    /** Short, so the test waits little for an expiry; the heartbeat renews it every third of it. */
    private static final double LEASE_SECONDS = 2;

    @TempDir
    Path dir;
    private EmbeddedPostgres postgres;
    private final List<Process> processes = new ArrayList<>();

    record Instance(Process process, ServiceClient client) {}

    @AfterEach
    void stop() throws IOException {
        for (Process p : processes) p.destroyForcibly();
        for (Process p : processes) {
            try {
                p.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (postgres != null) postgres.close();
    }

    private Instance start(String name, String role, String store, Path results, long stepMillis) throws IOException {
        Path data = dir.resolve(name);
        Files.createDirectories(data);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ServerProcessMain.class.getName(),
                data.toString(), Long.toString(stepMillis), "30", store, role, results.toString(), Double.toString(LEASE_SECONDS)))
                .redirectError(dir.resolve(name + ".log").toFile()).start();
        processes.add(p);
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertNotNull(line, name + " printed nothing; its log: " + Files.readString(dir.resolve(name + ".log")));
        assertTrue(line.startsWith("PORT "), line);
        return new Instance(p, new ServiceClient(URI.create("http://127.0.0.1:" + line.substring(5) + "/")));
    }

    private static long counter(Instance worker, String name) {
        String metrics = new String(worker.client().get("/metrics", null).body(), StandardCharsets.UTF_8);
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> Long.parseLong(l.substring(name.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " missing from /metrics"));
    }

    /** Served whole: the recorded size, an mp4 from its first box. */
    private static void assertServedWhole(ServiceClient api, String key, JsonNode job) {
        ServiceClient.Reply content = api.get("/v1/videos/" + job.get("id").asText() + "/content", key);
        assertEquals(200, content.status());
        assertEquals(job.get("result").get("bytes").asLong(), content.body().length);
        assertEquals("ftyp", new String(content.body(), 4, 4, StandardCharsets.US_ASCII));
    }

    private static void assertNoLeftovers(Path results) throws IOException {
        try (var files = Files.list(results)) {
            List<String> partial = files.map(p -> p.getFileName().toString()).filter(n -> !n.matches("[0-9a-f]{20}\\.mp4")).toList();
            assertEquals(List.of(), partial, "staged or partial files left in the results directory");
        }
    }

    @Test
    void twoWorkersRunEveryJobOnceAndAKilledWorkersJobIsRunAgainByTheOther() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        String store = PostgresJobStoreTest.freshDatabase(postgres);
        Path results = dir.resolve("results");
        String key;
        try (ServiceDatabase db = ServiceDatabase.open(store, dir)) {
            key = new ApiKeys(db).add("shared").secret();
        }
        Instance api = start("api", "api", store, results, 50);
        Instance w1 = start("worker1", "worker", store, results, 50);
        Instance w2 = start("worker2", "worker", store, results, 50);
        ServiceClient c = api.client();

        JsonNode health = w1.client().get("/healthz", null).json();
        assertEquals("worker", health.get("role").asText());
        assertEquals("postgresql", health.get("store").get("kind").asText());
        assertEquals(1, health.get("worker").get("threads").asInt());
        assertTrue(health.get("worker").get("heartbeat_age_seconds").asDouble() < LEASE_SECONDS, health.toString());
        assertEquals(404, w1.client().get("/v1/videos", key).status(), "a worker takes no API requests");
        assertEquals(0, api.client().get("/healthz", null).json().get("worker").get("threads").asInt(), "the API instance runs no jobs");

        // N jobs: all done, each once, shared out between the two workers.
        int n = 12;
        List<String> ids = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) ids.add(c.submit(key, "{\"prompt\":\"job " + i + "\",\"steps\":8,\"seed\":" + i + "}"));
        for (String id : ids) {
            JsonNode job = c.awaitFinal(key, id, Duration.ofSeconds(90));
            assertEquals("done", job.get("status").asText(), job.toString());
            assertEquals(1, job.get("attempts").asInt(), "no job ran twice: " + job);
            assertServedWhole(c, key, job);
        }
        double batchSeconds = (System.nanoTime() - t0) / 1e9;
        long claims1 = counter(w1, "zoetrope_claims_total"), claims2 = counter(w2, "zoetrope_claims_total");
        assertEquals(n, claims1 + claims2, "claims across both workers");
        assertTrue(claims1 > 0 && claims2 > 0, "both workers took jobs: " + claims1 + " and " + claims2);
        assertEquals(0, counter(w1, "zoetrope_reruns_total") + counter(w2, "zoetrope_reruns_total"));

        // A long job; kill -9 whichever worker runs it once its progress, published through the store, shows on the API.
        String id = c.submit(key, "{\"prompt\":\"interrupted\",\"steps\":40}");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (c.get("/v1/videos/" + id, key).json().get("progress").asDouble() <= 0.2) {
            assertTrue(System.nanoTime() < deadline, "the job's progress never reached the API instance");
            Thread.sleep(50);
        }
        Map<Long, Instance> byPid = new HashMap<>(Map.of(w1.process().pid(), w1, w2.process().pid(), w2));
        String holder;
        try (ServiceDatabase db = ServiceDatabase.open(store, dir)) {
            holder = new JobStore(db).find(id).orElseThrow().worker();
        }
        Instance victim = byPid.entrySet().stream().filter(e -> holder.contains("-" + e.getKey() + "-")).map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("no worker process matches " + holder));
        Instance survivor = victim == w1 ? w2 : w1;
        long killedAt = System.nanoTime();
        victim.process().destroyForcibly();
        assertTrue(victim.process().waitFor(20, TimeUnit.SECONDS));

        double reclaimedAfter = -1;
        JsonNode last;
        while (true) {
            last = c.get("/v1/videos/" + id, key).json();
            if (reclaimedAfter < 0 && last.get("attempts").asInt() == 2) reclaimedAfter = (System.nanoTime() - killedAt) / 1e9;
            if (last.get("status").asText().equals("done") || System.nanoTime() - killedAt > Duration.ofSeconds(60).toNanos()) break;
            // Until it finishes again there is no content to serve, half-written or otherwise. The job may finish between
            // the two requests: content served is only right if the job reads as done from then on.
            int content = c.get("/v1/videos/" + id + "/content", key).status();
            if (content != 409) {
                assertEquals(200, content);
                assertEquals("done", c.get("/v1/videos/" + id, key).json().get("status").asText(), "content served before the job was done");
            }
            Thread.sleep(20);
        }
        double totalAfter = (System.nanoTime() - killedAt) / 1e9;
        assertEquals("done", last.get("status").asText(), last.toString());
        assertEquals(2, last.get("attempts").asInt(), "run once more, by the other worker");
        assertServedWhole(c, key, last);
        assertEquals(1, counter(survivor, "zoetrope_lease_expiries_total"));
        assertEquals(1, counter(survivor, "zoetrope_reruns_total"));
        assertTrue(reclaimedAfter >= LEASE_SECONDS * 0.9, "re-claimed before the lease could run out: " + reclaimedAfter);
        assertNoLeftovers(results);
        try (ServiceDatabase db = ServiceDatabase.open(store, dir)) {
            var counts = new JobStore(db).countByStatus();
            assertEquals(n + 1, counts.get(JobStatus.DONE), "no job lost, none doubled: " + counts);
            assertEquals(n + 1, counts.values().stream().mapToLong(Long::longValue).sum());
        }
        System.out.printf(java.util.Locale.ROOT, "shared store: %d jobs by two workers in %.1f s; after kill -9: re-claimed in "
                + "%.1f s, done in %.1f s (lease %.0f s)%n", n, batchSeconds, reclaimedAfter, totalAfter, LEASE_SECONDS);
    }
}
