package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Load on loopback: N concurrent clients (virtual threads) submit jobs and poll them to the end, in two rounds.
 * Checks that no job is lost or duplicated (every accepted id finishes once, the database holds exactly those
 * jobs, the model ran each once) and that heap after GC does not grow from the first round to the second.
 *
 * <p>The default run is small; the slow one takes its size from system properties, e.g.
 * {@code ./mvnw -o test -pl serve -Pslow -Dtest=ServiceLoadTest#heavy -Dzoetrope.load.clients=64 -Dzoetrope.load.jobs=20}.
 */
class ServiceLoadTest {
    /** Heap growth allowed between rounds; a leak of per-job state would grow with the job count instead. */
    static final long HEAP_BOUND_BYTES = 24L << 20;

    @Test
    void concurrentClientsLoseAndDuplicateNothing(@TempDir Path data) throws Exception {
        run(data, 16, 4, 2, 40, Duration.ofSeconds(60));
    }

    @Test
    @Tag("slow")
    void heavy(@TempDir Path data) throws Exception {
        run(data, Integer.getInteger("zoetrope.load.clients", 64), Integer.getInteger("zoetrope.load.jobs", 20),
                Integer.getInteger("zoetrope.load.concurrency", 2), Integer.getInteger("zoetrope.load.queueLimit", 50),
                Duration.ofSeconds(Integer.getInteger("zoetrope.load.timeoutSeconds", 600)));
    }

    /** {@code jobsPerClient} per client in each of two rounds. */
    static void run(Path data, int clients, int jobsPerClient, int concurrency, int queueLimit, Duration timeout) throws Exception {
        TestPatternGenerator model = new TestPatternGenerator(0);
        try (ZoetropeServer server = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0)
                .withConcurrency(concurrency).withQueueLimit(queueLimit), model)) {
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 4; i++) keys.add(server.keys().add("load-" + i).secret());
            Stats warm = round(server, keys, clients, jobsPerClient, timeout);
            long heapAfterWarm = heapAfterGc();
            long rssAfterWarm = residentBytes();
            int threadsAfterWarm = Thread.activeCount();
            Stats measured = round(server, keys, clients, jobsPerClient, timeout);
            long heapAfterLoad = heapAfterGc();
            long rssAfterLoad = residentBytes();

            Map<String, List<String>> all = new HashMap<>();
            for (Stats s : List.of(warm, measured))
                s.byKey.forEach((k, ids) -> all.computeIfAbsent(k, x -> new ArrayList<>()).addAll(ids));
            int total = 2 * clients * jobsPerClient;
            Set<String> unique = new HashSet<>();
            all.values().forEach(unique::addAll);
            assertEquals(total, all.values().stream().mapToInt(List::size).sum(), "accepted jobs");
            assertEquals(total, unique.size(), "a job id was handed out twice");
            assertEquals(total, model.calls(), "the model ran some job more or less than once");
            assertFalse(model.overlapped(), "generate calls overlapped on the shared model");
            var counts = server.jobs().countByStatus();
            assertEquals((long) total, counts.get(JobStatus.DONE), "jobs by status: " + counts);
            assertEquals(total, counts.values().stream().mapToLong(Long::longValue).sum(), "rows in the database");
            ServiceClient c = new ServiceClient(server.uri());
            for (var e : all.entrySet()) {
                Set<String> listed = new HashSet<>();
                String cursor = "";
                do {
                    JsonNode page = c.get("/v1/videos?limit=100&cursor=" + cursor, e.getKey()).json();
                    page.get("items").forEach(j -> assertTrue(listed.add(j.get("id").asText()), "listed twice"));
                    cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
                } while (cursor != null);
                assertEquals(new HashSet<>(e.getValue()), listed, "a key's list differs from its submissions");
            }

            long growth = heapAfterLoad - heapAfterWarm;
            System.out.printf(Locale.ROOT, "load: %d clients x %d jobs x 2 rounds, concurrency %d, queue limit %d%n",
                    clients, jobsPerClient, concurrency, queueLimit);
            System.out.printf(Locale.ROOT, "load: round 2: %d jobs in %.2f s = %.1f jobs/s; %d requests = %.0f req/s; "
                            + "submit p50 %.1f ms p99 %.1f ms; 429s %d%n",
                    clients * jobsPerClient, measured.seconds, clients * jobsPerClient / measured.seconds,
                    measured.requests.get(), measured.requests.get() / measured.seconds,
                    measured.percentile(50), measured.percentile(99), measured.rejected.get() + warm.rejected.get());
            System.out.printf(Locale.ROOT, "load: heap after GC %.1f MB after round 1, %.1f MB after round 2 (%+.1f MB); "
                            + "threads %d -> %d%n", heapAfterWarm / 1e6, heapAfterLoad / 1e6, growth / 1e6,
                    threadsAfterWarm, Thread.activeCount());
            System.out.printf(Locale.ROOT, "load: resident set %.1f MB after round 1, %.1f MB after round 2 (%+.1f MB)%n",
                    rssAfterWarm / 1e6, rssAfterLoad / 1e6, (rssAfterLoad - rssAfterWarm) / 1e6);
            assertTrue(growth < HEAP_BOUND_BYTES, "heap grew by " + growth / 1e6 + " MB over a round of load");
            assertTrue(Thread.activeCount() <= threadsAfterWarm + 8, "threads leaked: " + threadsAfterWarm + " -> " + Thread.activeCount());
        }
    }

    record Stats(Map<String, List<String>> byKey, double seconds, AtomicInteger requests, AtomicInteger rejected,
                 List<Double> submitMillis) {
        double percentile(int p) {
            List<Double> sorted = new ArrayList<>(submitMillis);
            Collections.sort(sorted);
            return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
        }
    }

    private static Stats round(ZoetropeServer server, List<String> keys, int clients, int jobsPerClient, Duration timeout)
            throws Exception {
        ServiceClient c = new ServiceClient(server.uri());
        Map<String, List<String>> byKey = new ConcurrentHashMap<>();
        AtomicInteger requests = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        List<Double> submitMillis = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                String key = keys.get(i % keys.size());
                int client = i;
                futures.add(pool.submit(() -> {
                    for (int j = 0; j < jobsPerClient; j++) {
                        String body = "{\"prompt\":\"client " + client + " job " + j + "\",\"steps\":1,\"duration\":1}";
                        String id = null;
                        while (id == null) {
                            long s = System.nanoTime();
                            var r = c.post("/v1/videos", key, body);
                            requests.incrementAndGet();
                            submitMillis.add((System.nanoTime() - s) / 1e6);
                            if (r.status() == 202) id = r.json().get("id").asText();
                            else if (r.status() == 429) {
                                rejected.incrementAndGet();
                                Thread.sleep(50);
                            } else throw new AssertionError("submit: " + r.status() + " " + new String(r.body()));
                        }
                        byKey.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).add(id);
                        long deadline = System.nanoTime() + timeout.toNanos();
                        while (true) {
                            JsonNode job = c.get("/v1/videos/" + id, key).json();
                            requests.incrementAndGet();
                            String status = job.get("status").asText();
                            if (status.equals("done")) break;
                            if (!status.equals("queued") && !status.equals("running"))
                                throw new AssertionError("job " + id + " ended " + status + ": " + job);
                            if (System.nanoTime() > deadline) throw new AssertionError("job " + id + " timed out");
                            Thread.sleep(20);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        }
        return new Stats(byKey, (System.nanoTime() - t0) / 1e9, requests, rejected, submitMillis);
    }

    /** The process's resident set from /proc (Linux), or 0 where there is none: native memory must stay flat too. */
    private static long residentBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private static long heapAfterGc() throws InterruptedException {
        var mem = ManagementFactory.getMemoryMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            best = Math.min(best, mem.getHeapMemoryUsage().getUsed());
        }
        return best;
    }
}
