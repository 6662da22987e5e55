package dev.zoetrope.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether the data directory can take writes: the job database and the finished videos. A failed write (disk full,
 * database deleted or replaced, videos directory unusable) makes the store unhealthy: {@code /healthz} answers 503,
 * submissions get 503 with {@code Retry-After}, and workers pause. The store is probed again at most once a second
 * while asked, and is healthy again once every check passes; a deleted or replaced database stays unhealthy until
 * a restart.
 */
final class StoreHealth {
    private static final long PROBE_INTERVAL_NANOS = 1_000_000_000L;
    private static final ServiceLog LOG = new ServiceLog(StoreHealth.class);

    /** Why the store cannot take writes; {@code permanent} when only a restart helps. */
    record Problem(String message, boolean permanent) {}

    private final ServiceDatabase db;
    private final Path videos;
    private volatile Problem problem;
    private long lastProbe;

    StoreHealth(ServiceDatabase db, Path videos) {
        this.db = db;
        this.videos = videos;
    }

    /** A database failure seen by a caller. */
    void failed(ServiceDatabase.UnavailableException e) {
        report(new Problem(e.getMessage(), e.permanent()));
    }

    /** A failure to store a finished video. */
    void videosFailed(String message) {
        report(new Problem(message, false));
    }

    private synchronized void report(Problem p) {
        Problem before = problem;
        if (before != null && before.permanent()) return;
        problem = p;
        lastProbe = System.nanoTime();
        if (before == null || !before.message().equals(p.message())) LOG.warn("store.unhealthy", null, "error", p.message());
    }

    /** The reason when the data directory's disk is full, else null. */
    String diskFull() {
        return db.diskFull();
    }

    /** Why the store cannot take writes now, re-checked when the last look is older than a second; empty when healthy. */
    synchronized Optional<Problem> problem() {
        Problem p = problem;
        if (p == null) return Optional.empty();
        if (p.permanent() || System.nanoTime() - lastProbe < PROBE_INTERVAL_NANOS) return Optional.of(p);
        lastProbe = System.nanoTime();
        problem = probe();
        if (problem == null) LOG.info("store.recovered", "was", p.message());
        return Optional.ofNullable(problem);
    }

    /** The first failing check, or null when the database (file, limit, free space) and the videos directory are fine. */
    private Problem probe() {
        try {
            db.checkWritable();
        } catch (ServiceDatabase.UnavailableException e) {
            return new Problem(e.getMessage(), e.permanent());
        }
        try {
            Files.createDirectories(videos);
            Path probe = Files.createTempFile(videos, ".probe", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            return new Problem(videos + ": cannot store finished videos: " + e, false);
        }
        return null;
    }
}
