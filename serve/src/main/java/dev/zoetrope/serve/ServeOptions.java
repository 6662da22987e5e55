package dev.zoetrope.serve;

import java.nio.file.Path;
import java.time.Duration;

import dev.zoetrope.core.InvalidRequestException;

/**
 * How the service runs.
 *
 * @param data directory for the job database, API keys and finished videos
 * @param host address to bind; loopback by default so a server is never exposed by accident
 * @param port TCP port; 0 picks a free one (tests)
 * @param concurrency worker threads taking jobs from the queue
 * @param queueLimit jobs queued or running at once before submissions get 429
 * @param maxBodyBytes largest accepted request body; larger ones get 413
 * @param maxPromptChars longest accepted prompt or negative prompt
 * @param shutdownGrace how long a graceful shutdown lets a running job finish before requeueing it
 * @param linkLifetime how long signed content and event links stay valid
 * @param readTimeout how long a client may take to send a request's line, headers and body before the connection is
 *                    closed (whole seconds; one value per process, see {@link ZoetropeServer})
 * @param store the job store ({@link ServiceDatabase.Location#parse}); null for the data directory's SQLite file
 * @param role what this process does: take requests, run jobs, or both
 * @param results where finished videos are kept; null for {@code DATA/videos}. With a shared store, a path every
 *                instance sees (a shared file system), so any API instance can serve any worker's result
 * @param lease how long a claimed job stays a worker's without a heartbeat (shared stores only); the worker renews it
 *              every {@link #heartbeat()}
 */
public record ServeOptions(Path data, String host, int port, int concurrency, int queueLimit, int maxBodyBytes,
                           int maxPromptChars, Duration shutdownGrace, Duration linkLifetime, Duration readTimeout,
                           String store, Role role, Path results, Duration lease) {
    /** What one {@code serve} process does. */
    public enum Role {
        /** Accepts, lists, cancels and streams jobs; runs none. */
        API,
        /** Runs jobs from the store; its HTTP listener answers only {@code /healthz} and {@code /metrics}. */
        WORKER,
        /** Both, in one process: the default, and the only role an unshared (SQLite) store allows alone. */
        BOTH;

        public static Role parse(String s) {
            for (Role r : values()) if (r.name().equalsIgnoreCase(s)) return r;
            throw new InvalidRequestException("--role: '" + s + "' is not api, worker or both");
        }

        public boolean accepts() {
            return this != WORKER;
        }

        public boolean runs() {
            return this != API;
        }
    }

    /** A lease shorter than this would need heartbeats closer together than a busy machine can promise. */
    static final Duration MIN_LEASE = Duration.ofSeconds(1);

    public ServeOptions(Path data, String host, int port, int concurrency, int queueLimit, int maxBodyBytes,
                        int maxPromptChars, Duration shutdownGrace, Duration linkLifetime, Duration readTimeout) {
        this(data, host, port, concurrency, queueLimit, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime,
                readTimeout, null, Role.BOTH, null, Duration.ofSeconds(30));
    }

    public ServeOptions {
        if (data == null) throw new InvalidRequestException("--data: a data directory is required");
        if (port < 0 || port > 65535) throw new InvalidRequestException("--port: " + port + " is not a TCP port");
        if (concurrency < 1) throw new InvalidRequestException("--concurrency: must be at least 1, got " + concurrency);
        if (queueLimit < 1) throw new InvalidRequestException("--queue-limit: must be at least 1, got " + queueLimit);
        if (maxBodyBytes < 1024) throw new InvalidRequestException("--max-body: must be at least 1024 bytes");
        if (maxPromptChars < 1) throw new InvalidRequestException("--max-prompt-chars: must be at least 1");
        if (shutdownGrace == null || shutdownGrace.isNegative())
            throw new InvalidRequestException("--shutdown-grace: must be 0 or more seconds, got " + seconds(shutdownGrace));
        if (readTimeout == null || readTimeout.toMillis() < 1000)
            throw new InvalidRequestException("--read-timeout: must be at least 1 second, got " + seconds(readTimeout));
        if (role == null) role = Role.BOTH;
        if (lease == null || lease.compareTo(MIN_LEASE) < 0)
            throw new InvalidRequestException("--lease: must be at least " + MIN_LEASE.toSeconds() + " second, got " + seconds(lease));
        if (role != Role.BOTH && ServiceDatabase.Location.parse(store, data) instanceof ServiceDatabase.Location.SqliteFile)
            throw new InvalidRequestException("--role " + role.name().toLowerCase(java.util.Locale.ROOT) + " needs a store that "
                    + "several processes share (--store postgresql://HOST/DATABASE); with SQLite one process does both");
    }

    private static String seconds(Duration d) {
        return d == null ? "nothing" : d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : d.toMillis() / 1000.0 + " s";
    }

    public static ServeOptions defaults(Path data) {
        return new ServeOptions(data, "127.0.0.1", 8080, 1, 100, 16 * 1024, 2000, Duration.ofSeconds(30),
                Duration.ofHours(12), Duration.ofSeconds(30));
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(data, host, p, concurrency, queueLimit, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, readTimeout, store, role, results, lease);
    }

    public ServeOptions withConcurrency(int c) {
        return new ServeOptions(data, host, port, c, queueLimit, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, readTimeout, store, role, results, lease);
    }

    public ServeOptions withQueueLimit(int q) {
        return new ServeOptions(data, host, port, concurrency, q, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, readTimeout, store, role, results, lease);
    }

    public ServeOptions withShutdownGrace(Duration g) {
        return new ServeOptions(data, host, port, concurrency, queueLimit, maxBodyBytes, maxPromptChars, g, linkLifetime, readTimeout, store, role, results, lease);
    }

    public ServeOptions withReadTimeout(Duration t) {
        return new ServeOptions(data, host, port, concurrency, queueLimit, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, t, store, role, results, lease);
    }

    /** The store, role, shared results directory and lease of a process that shares its queue with others. */
    public ServeOptions withStore(String s, Role r, Path res, Duration l) {
        return new ServeOptions(data, host, port, concurrency, queueLimit, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, readTimeout, s, r, res, l);
    }

    /** How often a worker renews its jobs' leases and publishes their progress: a third of the lease, at most 1 s. */
    public Duration heartbeat() {
        Duration third = lease.dividedBy(3);
        return third.compareTo(Duration.ofSeconds(1)) < 0 ? third : Duration.ofSeconds(1);
    }

    public Path videosDir() {
        return results != null ? results : data.resolve("videos");
    }

    /** Where generators write before the finished file is moved into {@link #videosDir()}. */
    public Path workDir() {
        return data.resolve("work");
    }

    /** The SQLite file of the data directory (the default store). */
    public Path database() {
        return data.resolve("zoetrope.db");
    }
}
