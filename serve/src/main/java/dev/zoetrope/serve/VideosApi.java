package dev.zoetrope.serve;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import dev.zoetrope.core.io.ByteRange;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.serve.HttpIo.HttpError;

/** The {@code /v1/videos} resource: submit, read, list, cancel, download and follow jobs. */
final class VideosApi {
    static final int DEFAULT_PAGE = 20;
    static final int MAX_PAGE = 100;
    private static final long SSE_KEEPALIVE_MILLIS = 15_000;
    /**
     * On a shared store, how often an event stream re-reads its job: progress is published by workers in other
     * processes, whose changes wake no stream here. Events are at most this late, plus the worker's heartbeat.
     */
    static final long SHARED_POLL_MILLIS = 500;
    private static final ServiceLog LOG = new ServiceLog(VideosApi.class);

    private final ServeOptions options;
    private final JobStore store;
    private final ApiKeys keys;
    private final JobWorkers workers;
    private final JobEvents events;
    private final UrlSigner signer;
    private final RequestValidator validator;
    private final StoreHealth health;
    private volatile boolean closing;

    VideosApi(ServeOptions options, JobStore store, ApiKeys keys, JobWorkers workers, JobEvents events, UrlSigner signer,
              ModelCapabilities caps, StoreHealth health, LoraCatalog loras) {
        this.options = options;
        this.store = store;
        this.keys = keys;
        this.workers = workers;
        this.events = events;
        this.signer = signer;
        this.validator = new RequestValidator(caps, options.maxPromptChars(), loras);
        this.health = health;
    }

    /** Ends open event streams (shutdown). */
    void close() {
        closing = true;
        events.wakeAll();
    }

    /** Handles a path under /v1/videos. */
    void handle(HttpExchange ex, List<String> rest) throws IOException {
        String method = ex.getRequestMethod();
        switch (rest.size()) {
            case 0 -> {
                switch (method) {
                    case "POST" -> submit(ex);
                    case "GET" -> list(ex);
                    default -> throw notAllowed("GET, POST");
                }
            }
            case 1 -> {
                switch (method) {
                    case "GET" -> HttpIo.sendJson(ex, 200, detail(ownJob(ex, rest.getFirst())));
                    case "DELETE" -> cancel(ex, rest.getFirst());
                    default -> throw notAllowed("GET, DELETE");
                }
            }
            case 2 -> {
                if (!method.equals("GET") && !method.equals("HEAD")) throw notAllowed("GET, HEAD");
                switch (rest.get(1)) {
                    case "content" -> content(ex, readableJob(ex, rest.getFirst()));
                    case "events" -> events(ex, readableJob(ex, rest.getFirst()));
                    default -> throw HttpError.of(404, "no such resource");
                }
            }
            default -> throw HttpError.of(404, "no such resource");
        }
    }

    private static HttpError notAllowed(String allow) {
        return new HttpError(405, HttpIo.MAPPER.createObjectNode().put("error", "method not allowed; use " + allow),
                Map.of("Allow", allow));
    }

    private void submit(HttpExchange ex) throws IOException {
        String owner = requireKey(ex);
        JsonNode body = HttpIo.readJson(ex, options.maxBodyBytes());
        JobParams params;
        try {
            params = validator.validate(body);
        } catch (RequestValidator.InvalidFieldsException e) {
            throw HttpError.fields(400, e.errors());
        }
        // A store known to be failing is not tried again for every submission: its probe decides.
        Optional<StoreHealth.Problem> problem = health.problem();
        if (problem.isPresent()) {
            ZoetropeServer.sendUnavailable(ex, problem.get());
            return;
        }
        Job job;
        try {
            job = store.submit(owner, params, options.queueLimit());
        } catch (JobStore.QueueFullException e) {
            throw new HttpError(429, HttpIo.MAPPER.createObjectNode().put("error", e.getMessage()), Map.of("Retry-After", "10"));
        }
        workers.wake();
        LOG.info("job.submitted", "job", job.id(), "key", owner);
        ex.getResponseHeaders().set("Location", "/v1/videos/" + job.id());
        ObjectNode out = HttpIo.MAPPER.createObjectNode().put("id", job.id()).put("status", job.status().wire());
        out.set("links", links(job));
        HttpIo.sendJson(ex, 202, out);
    }

    private void list(HttpExchange ex) throws IOException {
        String owner = requireKey(ex);
        Map<String, String> q = HttpIo.query(ex);
        List<FieldError> errors = new ArrayList<>();
        int limit = DEFAULT_PAGE;
        long cursor = 0;
        if (q.containsKey("limit")) {
            try {
                limit = Integer.parseInt(q.get("limit"));
                if (limit < 1 || limit > MAX_PAGE) errors.add(new FieldError("limit", "must be between 1 and " + MAX_PAGE));
            } catch (NumberFormatException e) {
                errors.add(new FieldError("limit", "must be a whole number"));
            }
        }
        if (q.containsKey("cursor") && !q.get("cursor").isEmpty()) {
            try {
                cursor = Long.parseLong(q.get("cursor"));
                if (cursor < 1) errors.add(new FieldError("cursor", "is not a cursor from a previous page"));
            } catch (NumberFormatException e) {
                errors.add(new FieldError("cursor", "is not a cursor from a previous page"));
            }
        }
        if (!errors.isEmpty()) throw HttpError.fields(400, errors);
        List<Job> page = store.list(owner, cursor, limit + 1);
        ObjectNode out = HttpIo.MAPPER.createObjectNode();
        ArrayNode items = out.putArray("items");
        page.stream().limit(limit).forEach(j -> items.add(view(j)));
        if (page.size() > limit) out.put("next_cursor", Long.toString(page.get(limit - 1).seq()));
        else out.putNull("next_cursor");
        HttpIo.sendJson(ex, 200, out);
    }

    private void cancel(HttpExchange ex, String id) throws IOException {
        ownJob(ex, id);
        // One store transaction decides by the state the job has at that moment, so a worker claiming or finishing it
        // concurrently cannot slip in between a read and the update.
        Job job = switch (store.cancel(id).orElseThrow(() -> HttpError.of(404, "no job with id " + id))) {
            case JobStore.Cancellation.Dequeued(Job j) -> {
                events.changed(id);
                LOG.info("job.cancelled", "job", id, "was", "queued");
                yield j;
            }
            case JobStore.Cancellation.Requested(Job j) -> {
                workers.cancelRequested(id);
                LOG.info("job.cancel_requested", "job", id);
                yield j;
            }
            case JobStore.Cancellation.AlreadyEnded(Job j) when j.status() != JobStatus.CANCELLED ->
                    throw HttpError.of(409, "job " + id + " already ended as " + j.status().wire() + "; nothing to cancel");
            case JobStore.Cancellation.AlreadyEnded(Job j) -> j;
        };
        HttpIo.sendJson(ex, 200, view(job));
    }

    private void content(HttpExchange ex, Job job) throws IOException {
        if (job.status() != JobStatus.DONE)
            throw HttpError.of(409, "job " + job.id() + " is " + job.status().wire() + "; its video is not available");
        Path file = options.videosDir().resolve(job.id() + ".mp4");
        if (!Files.isRegularFile(file)) throw HttpError.of(410, "the video of job " + job.id() + " is no longer stored");
        long size = Files.size(file);
        long recorded = recordedBytes(job);
        if (recorded >= 0 && size != recorded) {
            // Truncated or overwritten on disk since the job finished: serving it would hand out a broken clip.
            LOG.warn("content.damaged", null, "job", job.id(), "bytes", size, "recorded_bytes", recorded);
            throw HttpError.of(500, "the stored video of job " + job.id() + " is damaged: " + size + " bytes on disk, "
                    + recorded + " when it was made; it is not served");
        }
        var h = ex.getResponseHeaders();
        h.set("Content-Type", "video/mp4");
        h.set("Accept-Ranges", "bytes");
        h.set("Cache-Control", "private, max-age=3600");
        h.set("ETag", "\"" + job.id() + "-" + size + "\"");
        boolean download = "1".equals(HttpIo.query(ex).get("download"));
        h.set("Content-Disposition", (download ? "attachment" : "inline") + "; filename=\"zoetrope-" + job.id() + ".mp4\"");
        ByteRange range;
        try {
            range = ByteRange.parse(ex.getRequestHeaders().getFirst("Range"), size);
        } catch (ByteRange.UnsatisfiableException e) {
            h.set("Content-Range", "bytes */" + size);
            h.remove("Content-Type");
            ex.sendResponseHeaders(416, -1);
            ex.close();
            return;
        }
        long length = range == null ? size : range.length();
        if (range != null) h.set("Content-Range", range.contentRange(size));
        int status = range == null ? 200 : 206;
        if (ex.getRequestMethod().equals("HEAD")) {
            h.set("Content-Length", Long.toString(length));
            ex.sendResponseHeaders(status, -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(status, length);
        try (OutputStream out = ex.getResponseBody()) {
            (range == null ? ByteRange.whole(size) : range).copy(file, out);
        }
    }

    /** The size recorded when the job finished, or -1 when its result holds none. */
    private static long recordedBytes(Job job) {
        if (job.result() == null) return -1;
        try {
            JsonNode bytes = HttpIo.MAPPER.readTree(job.result()).get("bytes");
            return bytes != null && bytes.canConvertToLong() ? bytes.asLong() : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private void events(HttpExchange ex, Job initial) throws IOException {
        String id = initial.id();
        var h = ex.getResponseHeaders();
        h.set("Content-Type", "text/event-stream; charset=utf-8");
        h.set("Cache-Control", "no-cache");
        h.set("X-Accel-Buffering", "no");
        ex.sendResponseHeaders(200, 0);
        try (JobEvents.Subscription sub = events.subscribe(id); OutputStream out = ex.getResponseBody()) {
            out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            String last = null;
            long wait = store.shared() ? SHARED_POLL_MILLIS : SSE_KEEPALIVE_MILLIS;
            long lastWrite = System.nanoTime();
            while (true) {
                Job job = store.find(id).orElseThrow();
                String data = detail(job).toString();
                if (!data.equals(last)) {
                    String type = job.status().terminal() ? job.status().wire() : "progress";
                    out.write(("event: " + type + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    last = data;
                    lastWrite = System.nanoTime();
                }
                if (job.status().terminal() || closing) return;
                if (!sub.await(wait) && System.nanoTime() - lastWrite >= SSE_KEEPALIVE_MILLIS * 1_000_000) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    lastWrite = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.fine("events.disconnected", "job", id);
        }
    }

    /** The caller's key id, or 401. */
    private String requireKey(HttpExchange ex) {
        return presentedKey(ex).map(k -> keys.authenticate(k)
                        .orElseThrow(() -> HttpError.unauthorized("the API key is not valid (unknown, revoked or mistyped)")))
                .orElseThrow(() -> HttpError.unauthorized("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"));
    }

    static Optional<String> presentedKey(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) return Optional.of(auth.substring(7).strip());
        return Optional.ofNullable(ex.getRequestHeaders().getFirst("X-API-Key"));
    }

    /** The job, when the caller's key owns it: 401 without a key, 404 when absent, 403 for another key's job. */
    private Job ownJob(HttpExchange ex, String id) {
        String owner = requireKey(ex);
        Job job = store.find(id).orElseThrow(() -> HttpError.of(404, "no job with id " + id));
        if (!job.owner().equals(owner)) throw HttpError.of(403, "job " + id + " belongs to another API key");
        return job;
    }

    /**
     * Like {@link #ownJob}, but a valid signed link token for this job also grants access, while the key it was made
     * for (the job's owner, bound to the job by the token's signature) is still active.
     */
    private Job readableJob(HttpExchange ex, String id) {
        String token = HttpIo.query(ex).get("token");
        if (token != null && presentedKey(ex).isEmpty()) {
            String keyId = signer.keyOf(id, token)
                    .orElseThrow(() -> HttpError.unauthorized("the link has expired or is not valid; reload the job"));
            if (!keys.active(keyId)) throw HttpError.unauthorized("the link's API key has been revoked");
            return store.find(id).orElseThrow(() -> HttpError.of(404, "no job with id " + id));
        }
        return ownJob(ex, id);
    }

    /** The view of one job, with its place in the queue while it waits. */
    private ObjectNode detail(Job job) {
        ObjectNode o = view(job);
        if (job.status() == JobStatus.QUEUED) o.put("queue_position", store.queuePosition(job.seq()));
        return o;
    }

    ObjectNode view(Job job) {
        ObjectNode o = HttpIo.MAPPER.createObjectNode();
        o.put("id", job.id());
        o.put("status", job.status().wire());
        // Running here: the worker's live report; running elsewhere (a shared store): what its heartbeat last stored.
        Optional<JobWorkers.Progress> p = job.status() != JobStatus.RUNNING ? Optional.empty()
                : workers.progress(job.id()).or(() -> Optional.ofNullable(job.progress()));
        double progress = job.status() == JobStatus.DONE ? 1.0 : p.map(JobWorkers.Progress::fraction).orElse(0.0);
        o.put("progress", Math.round(progress * 10000) / 10000.0);
        double eta = job.status() == JobStatus.DONE ? 0 : p.map(JobWorkers.Progress::etaSeconds).orElse(Double.NaN);
        if (Double.isFinite(eta)) o.put("eta_seconds", Math.round(eta * 10) / 10.0);
        else o.putNull("eta_seconds");
        o.put("stage", job.status() == JobStatus.RUNNING ? p.map(JobWorkers.Progress::stage).orElse("starting") : null);
        boolean cancelling = job.cancelRequested() || p.map(JobWorkers.Progress::cancelRequested).orElse(false);
        if (job.status() == JobStatus.RUNNING && cancelling) o.put("cancel_requested", true);
        ObjectNode params = o.putObject("params");
        JobParams jp = job.params();
        params.put("prompt", jp.prompt()).put("negative_prompt", jp.negativePrompt()).put("resolution", jp.resolution())
                .put("duration", jp.duration()).put("seed", jp.seed()).put("cfg", jp.cfg()).put("steps", jp.steps())
                .put("format", jp.format());
        if (!jp.loras().isEmpty()) {
            var adapters = params.putArray("loras");
            jp.loras().forEach(l -> adapters.addObject().put("name", l.name()).put("strength", l.strength()));
        }
        o.put("error", job.error());
        o.put("attempts", job.attempts());
        o.put("created_at", job.createdAt().toString());
        o.put("started_at", job.startedAt() == null ? null : job.startedAt().toString());
        o.put("finished_at", job.finishedAt() == null ? null : job.finishedAt().toString());
        if (job.result() != null) {
            try {
                o.set("result", HttpIo.MAPPER.readTree(job.result()));
            } catch (IOException e) {
                o.putNull("result");
            }
        } else o.putNull("result");
        o.set("links", links(job));
        return o;
    }

    private ObjectNode links(Job job) {
        String base = "/v1/videos/" + job.id();
        String token = signer.sign(job.id(), job.owner());
        ObjectNode l = HttpIo.MAPPER.createObjectNode();
        l.put("self", base);
        l.put("events", base + "/events?token=" + token);
        if (job.status() == JobStatus.DONE) {
            l.put("content", base + "/content?token=" + token);
            l.put("download", base + "/content?download=1&token=" + token);
        }
        return l;
    }
}
