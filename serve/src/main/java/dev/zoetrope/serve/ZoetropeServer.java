package dev.zoetrope.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.VideoGenerator;
import dev.zoetrope.serve.HttpIo.HttpError;

/**
 * The generation service: the JDK's HTTP server on virtual threads in front of a persistent job queue and one
 * shared model. {@link #close()} shuts down gracefully; the model stays open (its owner closes it).
 */
public final class ZoetropeServer implements AutoCloseable {
    private static final ServiceLog LOG = new ServiceLog(ZoetropeServer.class);
    private static final String WEB = "/dev/zoetrope/serve/web/";
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html",
            "/static/app.js", "app.js",
            "/static/style.css", "style.css",
            "/openapi.json", "openapi.json");
    /** Seconds a 503 for a failing store asks the client to wait. */
    static final int RETRY_AFTER_SECONDS = 30;
    private static final String MAX_REQ_TIME = "sun.net.httpserver.maxReqTime";
    /** The read timeout this process's HTTP servers use: the JDK reads it once, when its first server starts. */
    private static Duration appliedReadTimeout;
    private static final String PAGE_POLICY = "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
            + "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

    private final ServeOptions options;
    private final ServiceDatabase db;
    private final FileChannel lockChannel;
    private final FileLock dataLock;
    private final JobStore store;
    private final StoreHealth health;
    private final ApiKeys keys;
    private final JobEvents events = new JobEvents();
    private final ServiceMetrics metrics = new ServiceMetrics();
    private final JobWorkers workers;
    private final VideosApi api;
    private final HttpServer http;
    private final ExecutorService executor;
    private final Map<String, byte[]> resources = new HashMap<>();
    private final ModelCapabilities caps;
    private final LoraCatalog loras;
    private volatile boolean stopping;
    private boolean closed;

    private ZoetropeServer(ServeOptions options, VideoGenerator model, LoraCatalog loras) throws IOException {
        this.options = options;
        this.loras = loras;
        Files.createDirectories(options.data());
        this.lockChannel = FileChannel.open(options.data().resolve("server.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new InvalidRequestException(options.data() + ": another zoetrope server is using this data directory");
        }
        this.dataLock = lock;
        ServiceDatabase opened;
        try {
            opened = ServiceDatabase.open(options.store(), options.data());
        } catch (RuntimeException e) {
            dataLock.release();
            lockChannel.close();
            throw e;
        }
        this.db = opened;
        // On a shared store claims carry leases; alone, the one process requeues what it left running when it died.
        this.store = new JobStore(db, db.shared() ? options.lease() : null);
        this.health = new StoreHealth(db, options.videosDir());
        this.keys = new ApiKeys(db);
        this.caps = model.capabilities();
        if (!db.shared()) {
            int requeued = store.requeueInterrupted();
            if (requeued > 0) LOG.info("startup.requeued", "jobs", requeued);
        }
        JobWorkers.cleanWorkDir(options.workDir());
        if (options.role().runs()) JobWorkers.cleanStaged(options.videosDir(), db.shared() ? Duration.ofHours(1) : Duration.ZERO);
        this.workers = new JobWorkers(model, store, events, metrics, options.videosDir(), options.workDir(), health, loras,
                db.shared() ? options.heartbeat() : null);
        UrlSigner signer = db.shared() ? UrlSigner.open(db, options.linkLifetime()) : UrlSigner.open(options.data(), options.linkLifetime());
        this.api = new VideosApi(options, store, keys, workers, events, signer, caps, health, loras);
        for (var e : STATIC.entrySet()) resources.put(e.getKey(), resource(e.getValue()));
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        applyReadTimeout(options.readTimeout());
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 128);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /**
     * A client must send its request line, headers and body within {@code timeout}, else the connection is closed
     * (slow-header and slow-body clients hold no thread or socket for long). The JDK's server takes this from the
     * system property {@code sun.net.httpserver.maxReqTime} (whole seconds) when its first server starts, so it is one
     * value per process: an operator's own setting of the property wins, and a later server asking for another value
     * is told so in the log.
     */
    private static synchronized void applyReadTimeout(Duration timeout) {
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        if (appliedReadTimeout == null) {
            if (System.getProperty(MAX_REQ_TIME) == null) System.setProperty(MAX_REQ_TIME, Long.toString(seconds));
            appliedReadTimeout = Duration.ofSeconds(Long.getLong(MAX_REQ_TIME, seconds));
        }
        if (appliedReadTimeout.toSeconds() != seconds)
            LOG.warn("http.read_timeout_fixed", null, "asked_seconds", seconds, "seconds", appliedReadTimeout.toSeconds());
    }

    /** Opens the data directory, requeues interrupted jobs, and starts the workers and the HTTP listener. */
    public static ZoetropeServer start(ServeOptions options, VideoGenerator model) {
        return start(options, model, LoraCatalog.NONE);
    }

    /** {@link #start(ServeOptions, VideoGenerator)} with the LoRA adapters requests may name. */
    public static ZoetropeServer start(ServeOptions options, VideoGenerator model, LoraCatalog loras) {
        try {
            ZoetropeServer s = new ZoetropeServer(options, model, loras);
            if (options.role().runs()) s.workers.start(options.concurrency());
            s.http.start();
            LOG.info("server.started", "address", s.uri().toString(), "model", s.caps.family(),
                    "concurrency", options.concurrency(), "queue_limit", options.queueLimit(), "role",
                    options.role().name().toLowerCase(Locale.ROOT), "store", s.db.location().label(), "worker", s.store.worker());
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the server on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
    }

    public URI uri() {
        var a = http.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + a.getPort() + "/");
    }

    public ApiKeys keys() {
        return keys;
    }

    public JobStore jobs() {
        return store;
    }

    /** The job database, for tests that make its storage fail. */
    ServiceDatabase database() {
        return db;
    }

    private void handle(HttpExchange ex) {
        long t0 = System.nanoTime();
        try {
            route(ex);
        } catch (HttpError e) {
            e.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            trySend(ex, e.status, e.body);
        } catch (ServiceDatabase.UnavailableException e) {
            health.failed(e);
            sendUnavailable(ex, new StoreHealth.Problem(e.getMessage(), e.permanent()));
        } catch (IOException e) {
            LOG.fine("http.client_gone", "path", ex.getRequestURI().getPath());
        } catch (RuntimeException e) {
            LOG.warn("http.error", e, "method", ex.getRequestMethod(), "path", ex.getRequestURI().getPath());
            trySend(ex, 500, HttpIo.MAPPER.createObjectNode().put("error", "internal error: " + e.getMessage()));
        } finally {
            int code = ex.getResponseCode();
            metrics.response(code);
            LOG.fine("http.request", "method", ex.getRequestMethod(), "path", ex.getRequestURI().getPath(),
                    "status", code, "ms", (System.nanoTime() - t0) / 1_000_000);
            ex.close();
        }
    }

    /** 503 with the reason, and when to retry unless only a restart helps: the store cannot take writes. */
    static void sendUnavailable(HttpExchange ex, StoreHealth.Problem problem) {
        if (!problem.permanent()) ex.getResponseHeaders().set("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        trySend(ex, 503, HttpIo.MAPPER.createObjectNode().put("error", "the service cannot store data now: " + problem.message()
                + (problem.permanent() ? "" : "; retry later")));
    }

    private static void trySend(HttpExchange ex, int status, ObjectNode body) {
        if (ex.getResponseCode() != -1) return;
        try {
            HttpIo.sendJson(ex, status, body);
        } catch (IOException ignored) {
            // The client went away; nothing more to tell it.
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        if (!options.role().accepts() && !path.equals("/healthz") && !path.equals("/metrics"))
            throw HttpError.of(404, "this instance is a worker (serve --role worker): it answers only /healthz and /metrics; "
                    + "send requests to an API instance");
        if (path.equals("/v1/videos") || path.startsWith("/v1/videos/")) {
            List<String> rest = Arrays.stream(path.substring("/v1/videos".length()).split("/")).filter(s -> !s.isEmpty()).toList();
            api.handle(ex, rest);
            return;
        }
        boolean read = method.equals("GET") || method.equals("HEAD");
        switch (path) {
            case "/healthz" -> {
                if (!read) throw HttpError.of(405, "use GET");
                ObjectNode o = HttpIo.MAPPER.createObjectNode();
                Optional<String> problem = health.problem().map(StoreHealth.Problem::message);
                Map<JobStatus, Long> counts = null;
                if (problem.isEmpty()) {
                    try {
                        counts = store.countByStatus();
                    } catch (ServiceDatabase.UnavailableException e) {
                        health.failed(e);
                        problem = Optional.of(e.getMessage());
                    }
                }
                if (problem.isEmpty()) problem = heartbeatProblem();
                o.put("status", stopping ? "stopping" : problem.isPresent() ? "unhealthy" : "ok").put("model", caps.family());
                problem.ifPresent(p -> o.put("error", p));
                if (counts != null) o.put("queued", counts.get(JobStatus.QUEUED)).put("running", counts.get(JobStatus.RUNNING));
                o.put("role", options.role().name().toLowerCase(Locale.ROOT));
                o.putObject("store").put("kind", db.shared() ? "postgresql" : "sqlite").put("location", db.location().label())
                        .put("shared", db.shared());
                ObjectNode w = o.putObject("worker");
                w.put("id", store.worker()).put("threads", workers.threads()).put("running_here", workers.running());
                if (db.shared() && workers.threads() > 0) {
                    double age = workers.secondsSinceBeat();
                    if (age < 0) w.putNull("heartbeat_age_seconds");
                    else w.put("heartbeat_age_seconds", Math.round(age * 10) / 10.0);
                    w.put("lease_seconds", options.lease().toMillis() / 1000.0);
                }
                HttpIo.sendJson(ex, stopping || problem.isPresent() ? 503 : 200, o);
            }
            case "/metrics" -> {
                if (!read) throw HttpError.of(405, "use GET");
                HttpIo.send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.render(store.countByStatus(), events.subscribers()).getBytes(StandardCharsets.UTF_8));
            }
            case "/v1/capabilities" -> {
                if (!read) throw HttpError.of(405, "use GET");
                HttpIo.sendJson(ex, 200, capabilities());
            }
            default -> {
                byte[] body = resources.get(path);
                if (body == null) throw HttpError.of(404, "no such resource: " + path);
                if (!read) throw HttpError.of(405, "use GET");
                if (path.equals("/")) ex.getResponseHeaders().set("Content-Security-Policy", PAGE_POLICY);
                ex.getResponseHeaders().set("Cache-Control", "no-cache");
                HttpIo.send(ex, 200, contentType(path), body);
            }
        }
    }

    /** A worker whose heartbeat has not reached the store for longer than a lease: its jobs are being given away. */
    private Optional<String> heartbeatProblem() {
        if (!db.shared() || workers.threads() == 0) return Optional.empty();
        double age = workers.secondsSinceBeat();
        double lease = options.lease().toMillis() / 1000.0;
        if (age < lease) return Optional.empty();
        return Optional.of(String.format(Locale.ROOT, "the worker's heartbeat has not reached the store for %.1f s (lease %.1f s): "
                + "its jobs go back to the queue", age, lease));
    }

    private ObjectNode capabilities() {
        ObjectNode o = HttpIo.MAPPER.createObjectNode();
        o.put("family", caps.family());
        ObjectNode res = o.putObject("resolutions");
        caps.resolutions().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> res.putArray(e.getKey()).add(e.getValue()[0]).add(e.getValue()[1]));
        o.put("default_resolution", caps.defaultResolution());
        o.putObject("duration").put("min", caps.minSeconds()).put("max", caps.maxSeconds()).put("default", caps.defaultSeconds());
        o.putObject("steps").put("min", caps.minSteps()).put("max", caps.maxSteps()).put("default", caps.defaultSteps());
        o.putObject("cfg").put("min", 0).put("max", RequestValidator.MAX_CFG).put("default", caps.defaultGuidance());
        o.put("fps", caps.fps());
        o.put("default_seed", caps.defaultSeed());
        o.put("default_negative_prompt", caps.defaultNegativePrompt());
        o.put("max_prompt_chars", options.maxPromptChars());
        var adapters = o.putArray("loras");
        loras.names().forEach(adapters::add);
        return o;
    }

    private static String contentType(String path) {
        if (path.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (path.endsWith(".css")) return "text/css; charset=utf-8";
        if (path.endsWith(".json")) return "application/json";
        return "text/html; charset=utf-8";
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ZoetropeServer.class.getResourceAsStream(WEB + name)) {
            if (in == null) throw new IOException("missing resource " + WEB + name);
            return in.readAllBytes();
        }
    }

    /**
     * Graceful shutdown: stop accepting connections, end event streams, let running jobs finish within the grace
     * period (then requeue them), and close the database.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        stopping = true;
        LOG.info("server.stopping", "grace_seconds", options.shutdownGrace().toSeconds());
        api.close();
        http.stop(1);
        executor.close();
        workers.shutdown(options.shutdownGrace());
        db.close();
        try {
            dataLock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // The lock goes with the process anyway.
        }
        LOG.info("server.stopped");
    }
}
