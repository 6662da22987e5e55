package dev.zoetrope.serve;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

/** The persistent job queue: every state change is one committed SQLite transaction. */
public final class JobStore {
    private static final ObjectMapper PARAMS = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    private static final String COLUMNS =
            "seq, id, owner, status, params, error, attempts, created_at, started_at, finished_at, result, cancel_requested";

    private final ServiceDatabase db;
    private final SecureRandom random = new SecureRandom();

    /** The queue already holds its limit of unfinished jobs. */
    public static final class QueueFullException extends RuntimeException {
        public QueueFullException(int limit) {
            super("the queue is full (" + limit + " jobs queued or running); retry later");
        }
    }

    public JobStore(ServiceDatabase db) {
        this.db = db;
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

    /** Marks the oldest queued job running and returns it, or empty when the queue is empty. */
    public Optional<Job> claimNext() {
        long now = System.currentTimeMillis();
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET status = 'running', started_at = ?, "
                    + "attempts = attempts + 1 WHERE seq = (SELECT seq FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1) "
                    + "RETURNING " + COLUMNS)) {
                p.setLong(1, now);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /** Records a running job's end; false when it was not running (a second finisher loses). */
    public boolean finish(String id, JobStatus status, String error, String result) {
        if (!status.terminal()) throw new IllegalArgumentException("not a final status: " + status);
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET status = ?, error = ?, result = ?, "
                    + "finished_at = ? WHERE id = ? AND status = 'running'")) {
                p.setString(1, status.wire());
                p.setString(2, error);
                p.setString(3, result);
                p.setLong(4, System.currentTimeMillis());
                p.setString(5, id);
                return p.executeUpdate() == 1;
            }
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
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET cancel_requested = 1, "
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
     * Puts a running job back at its place in the queue (shutdown before it finished); false when it is not running or
     * its owner asked to cancel it.
     */
    public boolean requeue(String id) {
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET status = 'queued', started_at = NULL "
                    + "WHERE id = ? AND status = 'running' AND NOT cancel_requested")) {
                p.setString(1, id);
                return p.executeUpdate() == 1;
            }
        });
    }

    /**
     * At startup: jobs left running by a process that died are queued again, except those whose owner had asked to
     * cancel them, which end cancelled. Returns how many were queued again.
     */
    public int requeueInterrupted() {
        long now = System.currentTimeMillis();
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE status = 'running' AND cancel_requested")) {
                p.setLong(1, now);
                p.executeUpdate();
            }
            try (var s = c.createStatement()) {
                return s.executeUpdate("UPDATE jobs SET status = 'queued', started_at = NULL WHERE status = 'running'");
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
                instant(rs, 10), rs.getString(11), rs.getBoolean(12));
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
