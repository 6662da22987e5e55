package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.serve.JobStore.Cancellation;

/** The job queue's cancel: one transaction that decides by the state the job is in at that moment. */
class JobStoreTest {
    @TempDir
    Path data;
    ServiceDatabase db;
    JobStore store;
    String owner;

    @BeforeEach
    void open() {
        db = ServiceDatabase.open(data);
        store = new JobStore(db);
        owner = new ApiKeys(db).add("k").info().id();
    }

    @AfterEach
    void close() {
        db.close();
    }

    private Job submit() {
        return store.submit(owner, new JobParams("a kite", "", "64p", 2, 1, 5, 1, "mp4"), 1000);
    }

    @Test
    void aQueuedJobIsCancelledAtOnceAndNeverClaimed() {
        Job job = submit();
        Cancellation c = store.cancel(job.id()).orElseThrow();
        Cancellation.Dequeued dequeued = assertInstanceOf(Cancellation.Dequeued.class, c);
        assertEquals(JobStatus.CANCELLED, dequeued.job().status());
        assertNotNull(dequeued.job().finishedAt());
        assertEquals(JobStatus.CANCELLED, store.find(job.id()).orElseThrow().status(), "stored, not just returned");
        assertEquals(Optional.empty(), store.claimNext(), "a cancelled job is not handed to a worker");
        // Cancelling it again changes nothing.
        assertInstanceOf(Cancellation.AlreadyEnded.class, store.cancel(job.id()).orElseThrow());
    }

    @Test
    void aRunningJobIsMarkedForItsWorkerAndEndsCancelled() {
        Job job = submit();
        assertEquals(job.id(), store.claimNext().orElseThrow().id());
        Cancellation.Requested requested = assertInstanceOf(Cancellation.Requested.class, store.cancel(job.id()).orElseThrow());
        assertEquals(JobStatus.RUNNING, requested.job().status(), "the worker ends it, at its next step");
        assertNull(requested.job().finishedAt());
        assertTrue(requested.job().cancelRequested());
        assertTrue(store.find(job.id()).orElseThrow().cancelRequested(), "the mark is stored for the worker to read");
        // A shutdown must not put a job its owner cancelled back in the queue.
        assertFalse(store.requeue(job.id()));
        assertTrue(store.finish(job.id(), JobStatus.CANCELLED, null, null));
        assertEquals(JobStatus.CANCELLED, store.find(job.id()).orElseThrow().status());
    }

    @Test
    void anEndedJobIsLeftAsItWas() {
        Job job = submit();
        store.claimNext();
        store.finish(job.id(), JobStatus.DONE, null, "{}");
        Cancellation.AlreadyEnded ended = assertInstanceOf(Cancellation.AlreadyEnded.class, store.cancel(job.id()).orElseThrow());
        assertEquals(JobStatus.DONE, ended.job().status());
        assertFalse(store.find(job.id()).orElseThrow().cancelRequested(), "a finished job is not marked");
        assertEquals(Optional.empty(), store.cancel("0123456789abcdef0123"));
    }

    @Test
    void aRestartCancelsTheInterruptedJobsWhoseCancelWasStoredAndRequeuesTheRest() {
        Job cancelled = submit(), interrupted = submit();
        store.claimNext();
        store.claimNext();
        store.cancel(cancelled.id());
        assertEquals(1, store.requeueInterrupted());
        assertEquals(JobStatus.CANCELLED, store.find(cancelled.id()).orElseThrow().status());
        assertEquals(JobStatus.QUEUED, store.find(interrupted.id()).orElseThrow().status());
    }

    /**
     * A cancel racing a worker's claim: whichever transaction comes first, the job is either cancelled and never
     * handed out, or handed out and marked for its worker. Never claimed and "cancelled" at once, never lost.
     */
    @Test
    void cancelAndClaimAtTheSameTimeAgreeOnOneOutcome() throws Exception {
        int dequeued = 0, requested = 0;
        for (int i = 0; i < 100; i++) {
            Job job = submit();
            CyclicBarrier start = new CyclicBarrier(2);
            var claim = CompletableFuture.supplyAsync(() -> {
                await(start);
                return store.claimNext();
            });
            await(start);
            Cancellation c = store.cancel(job.id()).orElseThrow();
            Optional<Job> claimed = claim.get();
            Job stored = store.find(job.id()).orElseThrow();
            switch (c) {
                case Cancellation.Dequeued _ -> {
                    dequeued++;
                    assertEquals(Optional.empty(), claimed, "a cancelled job was handed to a worker");
                    assertEquals(JobStatus.CANCELLED, stored.status());
                }
                case Cancellation.Requested _ -> {
                    requested++;
                    assertEquals(job.id(), claimed.orElseThrow().id());
                    assertEquals(JobStatus.RUNNING, stored.status());
                    assertTrue(stored.cancelRequested(), "the worker would not learn of the cancel");
                    store.finish(job.id(), JobStatus.CANCELLED, null, null);
                }
                case Cancellation.AlreadyEnded e -> fail("nothing ended this job, yet the cancel found it " + e.job().status());
            }
        }
        assertEquals(100, dequeued + requested);
    }

    @Test
    void aVersion1DatabaseGainsTheCancelMarkAndKeepsItsJobs(@TempDir Path old) throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + old.resolve("zoetrope.db")); var s = c.createStatement()) {
            s.execute("CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL, "
                    + "created_at INTEGER NOT NULL, revoked_at INTEGER)");
            s.execute("CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
                    + "owner TEXT NOT NULL REFERENCES api_keys(id), status TEXT NOT NULL, params TEXT NOT NULL, error TEXT, "
                    + "attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, started_at INTEGER, "
                    + "finished_at INTEGER, result TEXT)");
            s.execute("INSERT INTO api_keys VALUES ('k1', 'k', x'00', x'00', 0, NULL)");
            s.execute("INSERT INTO jobs (id, owner, status, params, created_at, started_at) VALUES ('j1', 'k1', 'running', "
                    + "'{\"prompt\":\"p\",\"negative_prompt\":\"\",\"resolution\":\"64p\",\"duration\":2,\"seed\":1,\"cfg\":5,"
                    + "\"steps\":1,\"format\":\"mp4\"}', 0, 1)");
            s.execute("PRAGMA user_version = 1");
        }
        try (ServiceDatabase migrated = ServiceDatabase.open(old)) {
            JobStore jobs = new JobStore(migrated);
            Job j1 = jobs.find("j1").orElseThrow();
            assertEquals(JobStatus.RUNNING, j1.status());
            assertFalse(j1.cancelRequested());
            assertInstanceOf(Cancellation.Requested.class, jobs.cancel("j1").orElseThrow());
        }
        try (ServiceDatabase again = ServiceDatabase.open(old)) {
            assertTrue(new JobStore(again).find("j1").orElseThrow().cancelRequested(), "opening a current database migrates nothing");
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** SQLite rolls back on its own when it is full: the error reported is that, not the rollback's "no transaction". */
    @Test
    void aFullDatabaseReportsItsOwnErrorAndKeepsWorkingOnceThereIsRoom() {
        db.transaction(c -> {
            try (var s = c.createStatement()) {
                s.execute("PRAGMA max_page_count = 1");
            }
            return null;
        });
        ServiceDatabase.UnavailableException full = null;
        int stored = 0;
        for (int i = 0; i < 500 && full == null; i++) {
            try {
                submit();
                stored++;
            } catch (ServiceDatabase.UnavailableException e) {
                full = e;
            }
        }
        assertNotNull(full, "500 jobs fitted in a full database");
        assertFalse(full.permanent());
        assertTrue(full.getMessage().endsWith(": cannot write the job database: the database is full (" + pagesInUse() + " pages, its limit)"),
                full.getMessage());
        java.sql.SQLException cause = assertInstanceOf(java.sql.SQLException.class, full.getCause());
        assertEquals(13, cause.getErrorCode(), "SQLITE_FULL, not the rollback's error: " + cause.getMessage());
        assertThrows(ServiceDatabase.UnavailableException.class, db::checkWritable);
        assertEquals(stored, store.countByStatus().get(JobStatus.QUEUED), "reads go on; the refused job left nothing");

        db.transaction(c -> {
            try (var s = c.createStatement()) {
                s.execute("PRAGMA max_page_count = 1073741823");
            }
            return null;
        });
        db.checkWritable();
        submit();
        assertEquals(stored + 1, store.countByStatus().get(JobStatus.QUEUED));
    }

    /**
     * SQLite can also hit a full disk after a statement has returned its row, roll the transaction back itself, and
     * leave the commit to report only "no transaction is active": that is the storage's fault too, not a bug.
     */
    @Test
    void aCommitSQLiteAlreadyRolledBackIsAStorageFailure() {
        RuntimeException abandoned = db.failure(new java.sql.SQLException(
                "[SQLITE_ERROR] SQL error or missing database (cannot commit - no transaction is active)", null, 1));
        var e = assertInstanceOf(ServiceDatabase.UnavailableException.class, abandoned);
        assertTrue(e.getMessage().endsWith("cannot write the job database: SQLite rolled the write back itself, as it does when "
                + "the disk is full or failing"), e.getMessage());
        RuntimeException bug = db.failure(new java.sql.SQLException("[SQLITE_ERROR] SQL error or missing database (no such table: x)",
                null, 1));
        assertInstanceOf(IllegalStateException.class, bug);
        assertFalse(bug instanceof ServiceDatabase.UnavailableException, "a bad statement stays a bug (500)");
    }

    private long pagesInUse() {
        return db.transaction(c -> {
            try (var s = c.createStatement(); var rs = s.executeQuery("PRAGMA page_count")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }
}
