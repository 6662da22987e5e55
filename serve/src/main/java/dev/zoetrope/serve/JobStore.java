package dev.zoetrope.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

/**
 * The persistent job queue: every state change is one committed transaction of the {@link ServiceDatabase}.
 *
 * <p>Each claim stores a fresh claim token, and every later write for the job (finish, requeue, lease renewal) names
 * it: a worker whose claim was taken from it (its lease expired and the job went to another worker) changes nothing.
 * On a shared store a claim also carries a lease that the worker's heartbeat renews ({@link #renew}); whoever next
 * looks for work returns jobs whose lease ran out to the queue ({@link #expireLeases}).
 */
public final class JobStore {
    private static final ObjectMapper PARAMS = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    private static final String COLUMNS =
            "seq, id, owner, status, params, error, attempts, created_at, started_at, finished_at, result, cancel_requested, "
            + "worker, lease_until, stage, fraction, eta_seconds, claim";
    /** Clears a claim: token, lease and published progress. */
    private static final String UNCLAIM = "claim = NULL, lease_until = NULL, stage = NULL, fraction = NULL, eta_seconds = NULL";

    private final ServiceDatabase db;
    private final SecureRandom random = new SecureRandom();
    /** Names this process's claims in the store (host, pid and a random part, so a restarted process is a new worker). */
    private final String worker;
    /** How long a claim lasts without renewal; null when claims never expire (an unshared store). */
    private final Duration lease;
    /** The claims this store's worker holds: token to job id (a job run twice here has two tokens, one of them lost). */
    private final Map<String, String> claims = new ConcurrentHashMap<>();

    /** A claim this worker holds, renewed or found lost ({@link #renew}). */
    public record Renewal(String id, boolean held, boolean cancelRequested) {}

    /** A job whose lease ran out, and what became of it: queued again, failed (attempts used up) or cancelled. */
    public record Expiry(String id, JobStatus status, int attempts, String worker) {}

    /** The queue already holds its limit of unfinished jobs. */
    public static final class QueueFullException extends RuntimeException {
        public QueueFullException(int limit) {
            super("the queue is full (" + limit + " jobs queued or running); retry later");
        }
    }

    /** A store whose claims carry leases of 30 s when {@code db} is shared, and none otherwise. */
    public JobStore(ServiceDatabase db) {
        this(db, db.shared() ? Duration.ofSeconds(30) : null);
    }

    /** @param lease how long a claim lasts unless renewed; null for claims that never expire */
    public JobStore(ServiceDatabase db, Duration lease) {
        this.db = db;
        this.lease = lease;
        this.worker = workerName() + "-" + HexFormat.of().formatHex(randomBytes(3));
    }

    private static String workerName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "host";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /** This process's name in the store's {@code worker} column. */
    public String worker() {
        return worker;
    }

    /** Whether other processes share this queue: their jobs' changes are seen by reading the store, not by wake-ups. */
    public boolean shared() {
        return db.shared();
    }


    /** Adds a queued job, unless {@code limit} jobs are already queued or running. */
    public Job submit(String owner, JobParams params, int limit) {
        String id = HexFormat.of().formatHex(randomBytes(10));
        String json = write(params);
        long now = System.currentTimeMillis();
        return db.transaction(c -> {
            if (countUnfinished(c) >= limit) throw new QueueFullException(limit);
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO jobs(id, owner, status, params, created_at) VALUES (?, ?, 'queued', ?, ?) RETURNING " + COLUMNS)) {
                p.setString(1, id);
                p.setString(2, owner);
                p.setString(3, json);
                p.setLong(4, now);
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    return read(rs);
                }
            }
        });
    }

    public Optional<Job> find(String id) {
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /** The owner's jobs, newest first, older than {@code beforeSeq} (0 = from the newest). */
    public List<Job> list(String owner, long beforeSeq, int limit) {
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS
                    + " FROM jobs WHERE owner = ? AND seq < ? ORDER BY seq DESC LIMIT ?")) {
                p.setString(1, owner);
                p.setLong(2, beforeSeq <= 0 ? Long.MAX_VALUE : beforeSeq);
                p.setInt(3, limit);
                List<Job> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) out.add(read(rs));
                }
                return out;
            }
        });
    }

    /**
     * Marks the oldest queued job running for this worker and returns it, or empty when the queue is empty. On
     * PostgreSQL a job another worker is claiming at this moment is passed over, not waited for.
     */
    public Optional<Job> claimNext() {
        long now = System.currentTimeMillis();
        String token = HexFormat.of().formatHex(randomBytes(8));
        Optional<Job> job = db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET status = 'running', started_at = ?, "
                    + "attempts = attempts + 1, claim = ?, worker = ?, lease_until = " + leaseEnd() + ", stage = NULL, "
                    + "fraction = NULL, eta_seconds = NULL WHERE seq = (SELECT seq FROM jobs WHERE status = 'queued' ORDER BY seq "
                    + "LIMIT 1" + db.dialect().skipLocked() + ") RETURNING " + COLUMNS)) {
                p.setLong(1, now);
                p.setString(2, token);
                p.setString(3, worker);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
        job.ifPresent(j -> claims.put(token, j.id()));
        return job;
    }

    /**
     * Records the end of the run {@code claimed} (as {@link #claimNext} returned it); false when its claim no longer
     * holds the job (a second finisher loses, and so does a worker whose lease expired).
     */
    public boolean finish(Job claimed, JobStatus status, String error, String result) {
        if (!status.terminal()) throw new IllegalArgumentException("not a final status: " + status);
        return end(claimed.id(), claimed.claim(), status, error, result, null);
    }

    /** {@link #finish(Job, JobStatus, String, String)} for the claim this worker holds on job {@code id}. */
    public boolean finish(String id, JobStatus status, String error, String result) {
        if (!status.terminal()) throw new IllegalArgumentException("not a final status: " + status);
        return end(id, tokenOf(id), status, error, result, null);
    }

    /** The token of a claim this worker holds on job {@code id}, or null. */
    private String tokenOf(String id) {
        return claims.entrySet().stream().filter(e -> e.getValue().equals(id)).map(Map.Entry::getKey).findFirst().orElse(null);
    }

    /** Work done inside the transaction that records a finished job: the move that publishes its video. */
    @FunctionalInterface
    public interface Publish {
        void run() throws IOException;
    }

    /**
     * Records a job this worker holds as done, running {@code publish} while its row is locked: the video appears
     * exactly when the store says the job is done, and only for the holder of the claim. False, with nothing
     * published, when this worker no longer holds the job.
     *
     * @throws UncheckedIOException when {@code publish} failed; nothing was recorded
     */
    public boolean complete(Job claimed, String result, Publish publish) {
        return end(claimed.id(), claimed.claim(), JobStatus.DONE, null, result, publish);
    }

    private boolean end(String id, String token, JobStatus status, String error, String result, Publish publish) {
        if (token == null) return false;
        try {
            return db.transaction(c -> {
                if (!holds(c, id, token)) return false;
                if (publish != null) {
                    try {
                        publish.run();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET status = ?, error = ?, result = ?, "
                        + "finished_at = ?, " + UNCLAIM + " WHERE id = ? AND claim = ? AND status = 'running'")) {
                    p.setString(1, status.wire());
                    p.setString(2, error);
                    p.setString(3, result);
                    p.setLong(4, System.currentTimeMillis());
                    p.setString(5, id);
                    p.setString(6, token);
                    return p.executeUpdate() == 1;
                }
            });
        } finally {
            claims.remove(token);
        }
    }

    /** When a lease taken or renewed now ends, by the store's clock (SQL); NULL when claims carry no lease. */
    private String leaseEnd() {
        return lease == null ? "NULL" : db.dialect().nowMillis() + " + " + lease.toMillis();
    }

    /** Whether the claim {@code token} still holds the running job {@code id}; locks its row until the transaction ends. */
    private boolean holds(Connection c, String id, String token) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM jobs WHERE id = ? AND claim = ? AND status = 'running'"
                + db.dialect().lockRow())) {
            p.setString(1, id);
            p.setString(2, token);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * The heartbeat: renews the lease of every job this worker holds and stores each one's latest progress. A claim
     * found gone (the lease expired and the job was requeued, failed or taken by another worker) is dropped here, so
     * nothing more is written for it; a cancel stored by any API instance is reported back.
     */
    public List<Renewal> renew(Map<String, JobWorkers.Progress> progress) {
        Map<String, String> held = Map.copyOf(claims); // token to id
        if (held.isEmpty()) {
            // Nothing to renew: still reach the store, so an idle worker's heartbeat says whether it could work.
            db.transaction(c -> {
                try (var s = c.createStatement()) {
                    return s.execute("SELECT 1");
                }
            });
            return List.of();
        }
        List<Renewal> out = db.transaction(c -> {
            List<Renewal> renewals = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET lease_until = " + leaseEnd() + ", stage = ?, "
                    + "fraction = ?, eta_seconds = ? WHERE id = ? AND claim = ? AND status = 'running' RETURNING cancel_requested")) {
                for (var e : held.entrySet()) {
                    String id = e.getValue();
                    JobWorkers.Progress now = progress.get(id);
                    p.setString(1, now == null ? null : now.stage());
                    p.setDouble(2, now == null ? 0 : now.fraction());
                    if (now == null || !Double.isFinite(now.etaSeconds())) p.setNull(3, java.sql.Types.DOUBLE);
                    else p.setDouble(3, now.etaSeconds());
                    p.setString(4, id);
                    p.setString(5, e.getKey());
                    try (ResultSet rs = p.executeQuery()) {
                        boolean kept = rs.next();
                        renewals.add(new Renewal(id, kept, kept && rs.getBoolean(1)));
                        if (!kept) claims.remove(e.getKey());
                    }
                }
            }
            return renewals;
        });
        return out;
    }

    /**
     * Returns running jobs whose lease ran out to the queue (their worker died, or lost the store for longer than the
     * lease), or ends them: cancelled when their owner asked, failed once they have been claimed
     * {@code maxAttempts} times. Jobs whose row is locked (a worker is finishing it) are left for the next look.
     */
    public List<Expiry> expireLeases(int maxAttempts) {
        long now = System.currentTimeMillis();
        return db.transaction(c -> {
            List<Expiry> out = new ArrayList<>();
            String ends = "(cancel_requested OR attempts >= ?)";
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET "
                    + "status = CASE WHEN cancel_requested THEN 'cancelled' WHEN attempts >= ? THEN 'failed' ELSE 'queued' END, "
                    + "error = CASE WHEN cancel_requested THEN error WHEN attempts >= ? THEN 'its worker stopped renewing its lease "
                    + "(killed, or cut off from the job store) on each of ' || attempts || ' attempts; not tried again (last "
                    + "worker: ' || coalesce(worker, 'unknown') || ')' ELSE error END, "
                    + "finished_at = CASE WHEN " + ends + " THEN ? ELSE NULL END, "
                    + "started_at = CASE WHEN " + ends + " THEN started_at ELSE NULL END, " + UNCLAIM
                    + " WHERE seq IN (SELECT seq FROM jobs WHERE status = 'running' AND lease_until < " + db.dialect().nowMillis()
                    + db.dialect().skipLocked() + ") RETURNING id, status, attempts, worker")) {
                p.setInt(1, maxAttempts);
                p.setInt(2, maxAttempts);
                p.setInt(3, maxAttempts);
                p.setLong(4, now);
                p.setInt(5, maxAttempts);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next())
                        out.add(new Expiry(rs.getString(1), JobStatus.fromWire(rs.getString(2)), rs.getInt(3), rs.getString(4)));
                }
            }
            return out;
        });
    }

    /** What a cancel did, with the job as it is afterwards. */
    public sealed interface Cancellation {
        Job job();

        /** It was queued and is now cancelled. */
        record Dequeued(Job job) implements Cancellation {}

        /** It is running; the request is stored and its worker stops at the next step. */
        record Requested(Job job) implements Cancellation {}

        /** It had already ended (done, failed or cancelled); nothing changed. */
        record AlreadyEnded(Job job) implements Cancellation {}
    }

    /**
     * Cancels a job in one transaction, whatever state it is in: a queued job is cancelled at once, a running one is
     * marked for its worker, an ended one is left alone. A worker claiming the job at the same moment sees either the
     * cancelled job (and skips it) or the mark. Empty when there is no such job.
     */
    public Optional<Cancellation> cancel(String id) {
        long now = System.currentTimeMillis();
        return db.transaction(c -> {
            // SET expressions read the row as it was, so 'status' in the CASEs is the state before this update.
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET cancel_requested = TRUE, "
                    + "status = CASE status WHEN 'queued' THEN 'cancelled' ELSE status END, "
                    + "finished_at = CASE status WHEN 'queued' THEN ? ELSE finished_at END "
                    + "WHERE id = ? AND status IN ('queued', 'running') RETURNING " + COLUMNS)) {
                p.setLong(1, now);
                p.setString(2, id);
                try (ResultSet rs = p.executeQuery()) {
                    if (rs.next()) {
                        Job job = read(rs);
                        return Optional.of(job.status() == JobStatus.CANCELLED ? new Cancellation.Dequeued(job)
                                : new Cancellation.Requested(job));
                    }
                }
            }
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(new Cancellation.AlreadyEnded(read(rs))) : Optional.empty();
                }
            }
        });
    }

    /**
     * Puts a running job this worker holds back at its place in the queue (shutdown before it finished); false when
     * it does not hold it or its owner asked to cancel it.
     */
    public boolean requeue(Job claimed) {
        return requeue(claimed.id(), claimed.claim());
    }

    /** {@link #requeue(Job)} for the claim this worker holds on job {@code id}. */
    public boolean requeue(String id) {
        return requeue(id, tokenOf(id));
    }

    private boolean requeue(String id, String token) {
        if (token == null) return false;
        boolean requeued = db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET status = 'queued', started_at = NULL, " + UNCLAIM
                    + " WHERE id = ? AND claim = ? AND status = 'running' AND NOT cancel_requested")) {
                p.setString(1, id);
                p.setString(2, token);
                return p.executeUpdate() == 1;
            }
        });
        // Refused for a cancel, the job is still this worker's to end.
        if (requeued) claims.remove(token);
        return requeued;
    }

    /**
     * At startup of the one process of an unshared store: jobs left running by a process that died are queued again,
     * except those whose owner had asked to cancel them, which end cancelled. Returns how many were queued again. (On
     * a shared store other workers' jobs are running: their leases decide instead.)
     */
    public int requeueInterrupted() {
        if (db.shared()) throw new IllegalStateException("a shared store's running jobs belong to live workers: leases decide");
        long now = System.currentTimeMillis();
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET status = 'cancelled', finished_at = ?, " + UNCLAIM
                    + " WHERE status = 'running' AND cancel_requested")) {
                p.setLong(1, now);
                p.executeUpdate();
            }
            try (var s = c.createStatement()) {
                return s.executeUpdate("UPDATE jobs SET status = 'queued', started_at = NULL, " + UNCLAIM + " WHERE status = 'running'");
            }
        });
    }

    /** 1 for the next job to start, 2 for the one after, ...; for a queued job at queue position {@code seq}. */
    public long queuePosition(long seq) {
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT count(*) FROM jobs WHERE status = 'queued' AND seq <= ?")) {
                p.setLong(1, seq);
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    public Map<JobStatus, Long> countByStatus() {
        return db.transaction(c -> {
            Map<JobStatus, Long> out = new EnumMap<>(JobStatus.class);
            for (JobStatus s : JobStatus.values()) out.put(s, 0L);
            try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT status, count(*) FROM jobs GROUP BY status")) {
                while (rs.next()) out.put(JobStatus.fromWire(rs.getString(1)), rs.getLong(2));
            }
            return out;
        });
    }

    private static long countUnfinished(Connection c) throws SQLException {
        try (var s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Job read(ResultSet rs) throws SQLException {
        return new Job(rs.getLong(1), rs.getString(2), rs.getString(3), JobStatus.fromWire(rs.getString(4)),
                readParams(rs.getString(5)), rs.getString(6), rs.getInt(7), instant(rs, 8), instant(rs, 9),
                instant(rs, 10), rs.getString(11), rs.getBoolean(12), rs.getString(13), instant(rs, 14), progress(rs), rs.getString(18));
    }

    /** The progress a worker published, or null when none was (or the job is not running on a shared store). */
    private static JobWorkers.Progress progress(ResultSet rs) throws SQLException {
        String stage = rs.getString(15);
        if (stage == null) return null;
        double fraction = rs.getDouble(16);
        double eta = rs.getDouble(17);
        if (rs.wasNull()) eta = Double.NaN;
        return new JobWorkers.Progress(stage, fraction, eta, rs.getBoolean(12));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static String write(JobParams params) {
        try {
            return PARAMS.writeValueAsString(params);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode job parameters", e);
        }
    }

    private static JobParams readParams(String json) {
        try {
            return PARAMS.readValue(json, JobParams.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored job parameters are not valid: " + e.getOriginalMessage(), e);
        }
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
