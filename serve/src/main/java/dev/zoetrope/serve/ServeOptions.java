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
 */
public record ServeOptions(Path data, String host, int port, int concurrency, int queueLimit, int maxBodyBytes,
                           int maxPromptChars, Duration shutdownGrace, Duration linkLifetime, Duration readTimeout) {
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
    }

    private static String seconds(Duration d) {
        return d == null ? "nothing" : d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : d.toMillis() / 1000.0 + " s";
    }

    public static ServeOptions defaults(Path data) {
        return new ServeOptions(data, "127.0.0.1", 8080, 1, 100, 16 * 1024, 2000, Duration.ofSeconds(30),
                Duration.ofHours(12), Duration.ofSeconds(30));
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(data, host, p, concurrency, queueLimit, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, readTimeout);
    }

    public ServeOptions withConcurrency(int c) {
        return new ServeOptions(data, host, port, c, queueLimit, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, readTimeout);
    }

    public ServeOptions withQueueLimit(int q) {
        return new ServeOptions(data, host, port, concurrency, q, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, readTimeout);
    }

    public ServeOptions withShutdownGrace(Duration g) {
        return new ServeOptions(data, host, port, concurrency, queueLimit, maxBodyBytes, maxPromptChars, g, linkLifetime, readTimeout);
    }

    public ServeOptions withReadTimeout(Duration t) {
        return new ServeOptions(data, host, port, concurrency, queueLimit, maxBodyBytes, maxPromptChars, shutdownGrace, linkLifetime, t);
    }

    public Path videosDir() {
        return data.resolve("videos");
    }

    /** Where generators write before the finished file is moved into {@link #videosDir()}. */
    public Path workDir() {
        return data.resolve("work");
    }

    public Path database() {
        return data.resolve("zoetrope.db");
    }
}
