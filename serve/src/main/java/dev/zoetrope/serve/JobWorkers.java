package dev.zoetrope.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.core.progress.GenerationCancelledException;
import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.VideoGenerator;
import dev.zoetrope.models.text.TokenizerException;

/**
 * Takes jobs from the queue and runs them on the one shared model.
 *
 * <p>{@code VideoGenerator.generate} calls on one instance must not overlap, so a worker holds the model lock from
 * claiming a job to the end of its generation; queued jobs stay queued (cheap to cancel) until the model is free.
 * Moving the output into place, recording the result and publishing events happen after the lock is released, so
 * with more than one worker the next generation starts while the previous job is being finished.
 *
 * <p>Workers are platform threads: a generation spends minutes in native tensor code, which would pin a virtual
 * thread's carrier and starve the HTTP handlers on a small machine.
 *
 * <p>On a shared store (several machines, one queue) a heartbeat thread renews the leases of the jobs running here and
 * publishes their progress to the store, where any API instance reads it; a job whose lease was lost (this process
 * was cut off from the store for longer than the lease, and the job went back to the queue) is stopped and nothing
 * more is written for it. Before each claim a worker returns jobs whose lease ran out to the queue.
 */
public final class JobWorkers implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ServiceLog LOG = new ServiceLog(JobWorkers.class);

    /** A running job's latest progress report. */
    public record Progress(String stage, double fraction, double etaSeconds, boolean cancelRequested) {}

    private final VideoGenerator model;
    private final LoraCatalog loras;
    private final JobStore store;
    private final JobEvents events;
    private final ServiceMetrics metrics;
    private final Path videos;
    private final Path work;
    private final StoreHealth health;
    private final ReentrantLock modelLock = new ReentrantLock(true);
    /** At most one pending wake-up: a burst of submissions wakes a worker once, not once per job. */
    private final LinkedBlockingQueue<Boolean> wakeups = new LinkedBlockingQueue<>(1);
    private final ConcurrentHashMap<String, Progress> live = new ConcurrentHashMap<>();
    private final Set<String> cancelRequests = ConcurrentHashMap.newKeySet();
    /** Jobs whose claim this worker lost: their generation stops and nothing more is written for them. */
    private final Set<String> lost = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    /** How often leases are renewed; null on an unshared store, where claims carry no lease. */
    private final Duration heartbeat;
    private volatile Thread heartbeatThread;
    /** When the heartbeat last reached the store (nanoTime), or 0 before its first beat. */
    private volatile long lastBeat;
    private volatile boolean stopping;
    private volatile boolean requeueRunning;

    /** A job whose video could not be stored is run again up to this many times in all, then it fails. */
    static final int STORE_ATTEMPTS = 3;
    /** The longest pause between a worker's tries while the store is failing. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
    /** A job whose worker lost its lease this many times (died, or was cut off each time) fails instead of running again. */
    static final int LEASE_ATTEMPTS = 3;

    /** @param loras the adapters jobs may name, applied on the fly to each job that does */
    JobWorkers(VideoGenerator model, JobStore store, JobEvents events, ServiceMetrics metrics, Path videos, Path work,
               StoreHealth health, LoraCatalog loras) {
        this(model, store, events, metrics, videos, work, health, loras, null);
    }

    /** @param heartbeat how often the leases of running jobs are renewed; null when claims carry none */
    JobWorkers(VideoGenerator model, JobStore store, JobEvents events, ServiceMetrics metrics, Path videos, Path work,
               StoreHealth health, LoraCatalog loras, Duration heartbeat) {
        this.heartbeat = heartbeat;
        this.health = health;
        this.loras = loras;
        this.model = model;
        this.store = store;
        this.events = events;
        this.metrics = metrics;
        this.videos = videos;
        this.work = work;
    }

    public void start(int concurrency) {
        for (int i = 0; i < concurrency; i++) {
            Thread t = Thread.ofPlatform().name("zoetrope-worker-" + i).daemon(true).unstarted(this::loop);
            threads.add(t);
            t.start();
        }
        if (heartbeat != null && concurrency > 0) {
            heartbeatThread = Thread.ofPlatform().name("zoetrope-heartbeat").daemon(true).unstarted(this::beat);
            heartbeatThread.start();
        }
    }

    /** Worker threads started here (0 for an API-only instance). */
    int threads() {
        return threads.size();
    }

    /** Jobs running here now. */
    int running() {
        return live.size();
    }

    /** Seconds since the heartbeat last renewed this worker's leases, or -1 when it has none (or never beat). */
    double secondsSinceBeat() {
        long t = lastBeat;
        return heartbeat == null || t == 0 ? -1 : (System.nanoTime() - t) / 1e9;
    }

    /**
     * Renews the leases of the jobs running here every {@link #heartbeat} and publishes their progress. A lost claim
     * stops its generation; a cancel stored by another API instance reaches its generation here.
     */
    private void beat() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                for (JobStore.Renewal r : store.renew(live)) {
                    if (!r.held()) {
                        if (lost.add(r.id())) LOG.warn("job.lease_lost", null, "job", r.id(), "worker", store.worker());
                    } else if (r.cancelRequested() && !cancelRequests.contains(r.id())) {
                        cancelRequested(r.id());
                    }
                }
                lastBeat = System.nanoTime();
            } catch (ServiceDatabase.UnavailableException e) {
                // Leases run out while the store is unreachable: once it answers again, the renewal says which are lost.
                health.failed(e);
            } catch (RuntimeException e) {
                LOG.warn("heartbeat.failed", e, "error", e.toString());
            }
            try {
                Thread.sleep(heartbeat);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** A submission arrived: a waiting worker looks at the queue now rather than at its next poll. */
    public void wake() {
        wakeups.offer(Boolean.TRUE);
    }

    public Optional<Progress> progress(String jobId) {
        return Optional.ofNullable(live.get(jobId));
    }

    /**
     * Tells the worker running {@code jobId} that a cancel was stored for it ({@link JobStore#cancel}), so it stops at
     * its next step. The store is the record: a worker that has claimed the job but not yet started it reads the mark
     * there, so nothing is lost when the job is not running here yet.
     */
    public void cancelRequested(String jobId) {
        // Inside the map's lock for this key: a job that ends concurrently leaves no id behind in cancelRequests.
        live.computeIfPresent(jobId, (k, v) -> {
            cancelRequests.add(k);
            return new Progress(v.stage(), v.fraction(), v.etaSeconds(), true);
        });
        events.changed(jobId);
    }

    private void loop() {
        int failures = 0;
        String lastProblem = null;
        while (!stopping) {
            String problem;
            Throwable cause = null;
            try {
                Optional<String> unhealthy = health.problem().map(StoreHealth.Problem::message);
                if (unhealthy.isEmpty()) {
                    Optional<Job> job;
                    modelLock.lockInterruptibly();
                    Runnable finish = null;
                    try {
                        if (heartbeat != null && !stopping) expireLeases();
                        job = stopping ? Optional.empty() : store.claimNext();
                        if (job.isPresent()) {
                            metrics.claimed(job.get().attempts() > 1);
                            finish = generate(job.get());
                        }
                    } finally {
                        modelLock.unlock();
                    }
                    if (finish != null) finish.run();
                    if (failures > 0) LOG.info("worker.resumed", "after_failures", failures);
                    failures = 0;
                    lastProblem = null;
                    if (finish == null) wakeups.poll(500, TimeUnit.MILLISECONDS);
                    continue;
                }
                problem = unhealthy.get();
            } catch (InterruptedException e) {
                return;
            } catch (ServiceDatabase.UnavailableException e) {
                health.failed(e);
                problem = e.getMessage();
            } catch (RuntimeException e) {
                problem = e.toString();
                cause = e;
            }
            // Pause, longer after each failure in a row, and say so once per distinct problem rather than every try.
            Duration pause = backoff(failures++);
            if (!problem.equals(lastProblem)) LOG.warn("worker.paused", cause, "error", problem, "retry_seconds", pause.toSeconds());
            else LOG.fine("worker.still_paused", "error", problem, "retry_seconds", pause.toSeconds());
            lastProblem = problem;
            try {
                wakeups.poll(pause.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Returns jobs whose worker stopped renewing their lease to the queue, or ends them; says so in the log and metrics. */
    private void expireLeases() {
        for (JobStore.Expiry e : store.expireLeases(LEASE_ATTEMPTS)) {
            metrics.leaseExpired();
            if (e.status() == JobStatus.FAILED) metrics.jobEnded(JobStatus.FAILED);
            LOG.warn("job.lease_expired", null, "job", e.id(), "worker", e.worker(), "attempts", e.attempts(),
                    "now", e.status().wire());
            events.changed(e.id());
        }
    }

    /** The pause after {@code failures} earlier failures in a row: 1 s, doubling, at most {@link #MAX_BACKOFF}. */
    static Duration backoff(int failures) {
        return failures >= 6 ? MAX_BACKOFF : Duration.ofSeconds(Math.min(MAX_BACKOFF.toSeconds(), 1L << failures));
    }

    /** Runs the model for {@code job}; returns the bookkeeping to do once the model is released. */
    private Runnable generate(Job job) {
        String id = job.id();
        live.put(id, new Progress("starting", 0, Double.NaN, false));
        // A cancel stored between the claim and the line above found no live job to tell: read it back now.
        if (store.find(id).map(Job::cancelRequested).orElse(false)) cancelRequested(id);
        events.changed(id);
        LOG.info("job.started", "job", id, "attempt", job.attempts(), "resolution", job.params().resolution(),
                "steps", job.params().steps(), "duration", job.params().duration());
        Path partial = work.resolve(id + ".mp4");
        long t0 = System.nanoTime();
        GenerationListener listener = new GenerationListener() {
            @Override
            public void progress(String stage, double fraction, double etaSeconds) {
                boolean cancel = cancelRequests.contains(id);
                live.put(id, new Progress(stage, Math.clamp(fraction, 0, 1), etaSeconds, cancel));
                events.changed(id);
            }

            @Override
            public boolean cancelled() {
                return cancelRequests.contains(id) || requeueRunning || lost.contains(id);
            }
        };
        try {
            Files.createDirectories(work);
            Files.deleteIfExists(partial);
            GenerationResult result = model.generate(job.params().toRequest(), partial, listener, loras.resolve(job.params().loras()));
            double seconds = (System.nanoTime() - t0) / 1e9;
            return () -> complete(job, partial, result, seconds);
        } catch (GenerationCancelledException e) {
            return () -> stopped(job, partial);
        } catch (ModelLoadException | ConfigException | TokenizerException e) {
            // Bad input too, but the operator's: the model directory the service was started with, not the request.
            return () -> fail(job, partial, "generation failed: " + e, e);
        } catch (InvalidRequestException e) {
            // The model refused the request itself (the validator let it through): the submitter's to fix, no trace.
            return () -> fail(job, partial, "invalid request for this model: " + e.getMessage(), null);
        } catch (Exception | Error e) {
            // A write that failed on a full disk is the data directory's fault: the job runs again once there is room.
            String full = ioFailure(e) ? health.diskFull() : null;
            if (full != null) return () -> storeFailed(job, "cannot write the video being made in " + work + ": " + full, e, partial);
            // Anything else is our fault, an IllegalArgumentException from deep in the model included: the job must not
            // stay "running", it fails with the reason and the stack trace goes to the log.
            return () -> fail(job, partial, "generation failed: " + e, e);
        }
    }

    private static boolean ioFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof IOException) return true;
        return false;
    }

    /**
     * The data directory could not take the job's video (full, or videos/ unusable): the store turns unhealthy and the
     * job goes back to the queue, to run again once it is healthy, at most {@link #STORE_ATTEMPTS} times in all.
     */
    private void storeFailed(Job job, String reason, Throwable cause, Path... leftovers) {
        String id = job.id();
        for (Path p : leftovers) deleteQuietly(p);
        health.videosFailed(reason);
        if (job.attempts() < STORE_ATTEMPTS && store.requeue(job)) {
            LOG.warn("job.requeued", null, "job", id, "reason", reason);
        } else if (store.finish(job, JobStatus.FAILED, "could not store the video: " + reason, null)) {
            metrics.jobEnded(JobStatus.FAILED);
            LOG.warn("job.failed", cause, "job", id, "error", reason);
        }
        ended(id);
    }

    private void complete(Job job, Path partial, GenerationResult result, double seconds) {
        String id = job.id();
        Path produced = result.video() != null && Files.exists(result.video()) ? result.video() : partial;
        if (lost.contains(id)) {
            abandoned(id, produced, partial);
            return;
        }
        try {
            checkMp4(produced);
        } catch (IOException e) {
            fail(job, partial, "could not store the video: " + e.getMessage(), e);
            return;
        }
        Path target = videos.resolve(id + ".mp4");
        // Into the results directory under a temporary name first (a copy when it is on another file system), so the
        // rename that publishes it, done while the store records the job done, is atomic and never shows half a file.
        Path staged = videos.resolve("." + id + "." + store.worker() + ".part");
        long bytes;
        try {
            Files.createDirectories(videos);
            try {
                Files.move(produced, staged, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(produced, staged, StandardCopyOption.REPLACE_EXISTING);
            }
            bytes = Files.size(staged);
        } catch (IOException e) {
            // The data directory's fault (full, or videos/ unusable), not the job's.
            storeFailed(job, "cannot store finished videos in " + videos + ": " + e, e, produced, partial, staged);
            return;
        }
        ObjectNode facts = MAPPER.createObjectNode()
                .put("width", result.width()).put("height", result.height()).put("frames", result.frames())
                .put("fps", result.fps()).put("seconds", result.seconds())
                .put("bytes", bytes).put("generation_seconds", Math.round(seconds * 1000) / 1000.0);
        try {
            boolean published = store.complete(job, facts.toString(),
                    () -> Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING));
            if (published) {
                metrics.generationFinished(seconds, job.params().steps());
                metrics.jobEnded(JobStatus.DONE);
                LOG.info("job.done", "job", id, "seconds", Math.round(seconds * 1000) / 1000.0, "bytes", bytes);
            } else {
                // Another worker holds the job now (this one lost its lease): its run publishes the result.
                deleteQuietly(staged);
                LOG.warn("job.not_published", null, "job", id, "reason", "this worker no longer holds the job");
            }
        } catch (UncheckedIOException e) {
            storeFailed(job, "cannot store finished videos in " + videos + ": " + e.getCause(), e.getCause(), staged);
        } finally {
            // Also when the database refused the record: the job stays running there and runs again at the next start.
            ended(id);
        }
    }

    /** A job this worker lost its claim on ended here: its leftovers go, and the store is not touched. */
    private void abandoned(String id, Path... leftovers) {
        for (Path p : leftovers) deleteQuietly(p);
        LOG.info("job.abandoned", "job", id, "reason", "this worker lost its lease; the job runs again elsewhere");
        ended(id);
    }

    private void stopped(Job job, Path partial) {
        String id = job.id();
        if (lost.contains(id)) {
            abandoned(id, partial);
            return;
        }
        deleteQuietly(partial);
        // A shutdown puts the job back in the queue, unless its owner asked to cancel it (the store refuses then).
        boolean requeued = requeueRunning && !cancelRequests.contains(id) && store.requeue(job);
        if (requeued) {
            LOG.info("job.requeued", "job", id, "reason", "shutdown");
        } else if (store.finish(job, JobStatus.CANCELLED, null, null)) {
            metrics.jobEnded(JobStatus.CANCELLED);
            LOG.info("job.cancelled", "job", id);
        }
        ended(id);
    }

    private void fail(Job job, Path partial, String message, Throwable cause) {
        deleteQuietly(partial);
        if (!store.finish(job, JobStatus.FAILED, message, null)) {
            abandoned(job.id());
            return;
        }
        metrics.jobEnded(JobStatus.FAILED);
        LOG.warn("job.failed", cause, "job", job.id(), "error", message);
        ended(job.id());
    }

    private void ended(String id) {
        live.remove(id);
        cancelRequests.remove(id);
        lost.remove(id);
        events.changed(id);
    }

    /** A finished file must be a non-empty ISO-BMFF file (an 'ftyp' box first), or it is not served. */
    static void checkMp4(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("the generator wrote no file at " + file.getFileName());
        byte[] head = new byte[8];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 8) < 8 || !"ftyp".equals(new String(head, 4, 4, StandardCharsets.US_ASCII)))
                throw new IOException(file.getFileName() + " is not an mp4 file (no ftyp box)");
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // A stale partial file is removed at the next start anyway.
        }
    }

    /**
     * Stops taking jobs and lets running ones finish for up to {@code grace}; jobs still running then are asked
     * to stop and go back to the queue, to run again at the next start.
     */
    public void shutdown(Duration grace) {
        stopping = true;
        wakeups.offer(Boolean.TRUE);
        long deadline = System.nanoTime() + grace.toNanos();
        join(deadline);
        if (threads.stream().anyMatch(Thread::isAlive)) {
            LOG.info("shutdown.requeue", "running", live.size());
            requeueRunning = true;
            join(System.nanoTime() + Duration.ofSeconds(30).toNanos());
        }
        for (Thread t : threads) t.interrupt();
        Thread beat = heartbeatThread;
        if (beat != null) beat.interrupt();
    }

    private void join(long deadlineNanos) {
        for (Thread t : threads) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) return;
            try {
                t.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    /**
     * Removes videos staged for publishing ({@code .<id>.<worker>.part}) by a process that died before it published
     * them: all of them when this process is the only one writing there, else those older than {@code olderThan}
     * (another worker may be publishing one right now).
     */
    public static void cleanStaged(Path results, Duration olderThan) throws IOException {
        if (!Files.isDirectory(results)) return;
        long cutoff = System.currentTimeMillis() - olderThan.toMillis();
        try (var files = Files.list(results)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(".part") && Files.getLastModifiedTime(p).toMillis() <= cutoff)
                    Files.deleteIfExists(p);
            }
        }
    }

    /** Removes partial outputs left by a process that died mid-generation. */
    public static void cleanWorkDir(Path work) throws IOException {
        if (!Files.isDirectory(work)) return;
        try (var files = Files.list(work)) {
            for (Path p : (Iterable<Path>) files::iterator) Files.deleteIfExists(p);
        }
    }
}
