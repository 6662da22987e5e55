package dev.zoetrope.serve;

import java.io.IOException;
import java.io.InputStream;
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
    private final ReentrantLock modelLock = new ReentrantLock(true);
    /** At most one pending wake-up: a burst of submissions wakes a worker once, not once per job. */
    private final LinkedBlockingQueue<Boolean> wakeups = new LinkedBlockingQueue<>(1);
    private final ConcurrentHashMap<String, Progress> live = new ConcurrentHashMap<>();
    private final Set<String> cancelRequests = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean requeueRunning;

    public JobWorkers(VideoGenerator model, JobStore store, JobEvents events, ServiceMetrics metrics, Path videos, Path work) {
        this(model, store, events, metrics, videos, work, LoraCatalog.NONE);
    }

    /** @param loras the adapters jobs may name, applied on the fly to each job that does */
    public JobWorkers(VideoGenerator model, JobStore store, JobEvents events, ServiceMetrics metrics, Path videos, Path work,
                      LoraCatalog loras) {
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
        while (!stopping) {
            try {
                Optional<Job> job;
                modelLock.lockInterruptibly();
                Runnable finish = null;
                try {
                    job = stopping ? Optional.empty() : store.claimNext();
                    if (job.isPresent()) finish = generate(job.get());
                } finally {
                    modelLock.unlock();
                }
                if (finish != null) finish.run();
                else wakeups.poll(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("worker.error", e);
                sleepQuietly();
            }
        }
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
                return cancelRequests.contains(id) || requeueRunning;
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
            // Anything else is our fault, an IllegalArgumentException from deep in the model included: the job must not
            // stay "running", it fails with the reason and the stack trace goes to the log.
            return () -> fail(job, partial, "generation failed: " + e, e);
        }
    }

    private void complete(Job job, Path partial, GenerationResult result, double seconds) {
        String id = job.id();
        try {
            Path produced = result.video() != null && Files.exists(result.video()) ? result.video() : partial;
            checkMp4(produced);
            Files.createDirectories(videos);
            Path target = videos.resolve(id + ".mp4");
            try {
                Files.move(produced, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(produced, target, StandardCopyOption.REPLACE_EXISTING);
            }
            ObjectNode facts = MAPPER.createObjectNode()
                    .put("width", result.width()).put("height", result.height()).put("frames", result.frames())
                    .put("fps", result.fps()).put("seconds", result.seconds())
                    .put("bytes", Files.size(target)).put("generation_seconds", Math.round(seconds * 1000) / 1000.0);
            if (store.finish(id, JobStatus.DONE, null, facts.toString())) {
                metrics.generationFinished(seconds, job.params().steps());
                metrics.jobEnded(JobStatus.DONE);
            }
            LOG.info("job.done", "job", id, "seconds", Math.round(seconds * 1000) / 1000.0, "bytes", Files.size(target));
        } catch (IOException | RuntimeException e) {
            fail(job, partial, "could not store the video: " + e.getMessage(), e);
            return;
        }
        ended(id);
    }

    private void stopped(Job job, Path partial) {
        String id = job.id();
        deleteQuietly(partial);
        // A shutdown puts the job back in the queue, unless its owner asked to cancel it (the store refuses then).
        boolean requeued = requeueRunning && !cancelRequests.contains(id) && store.requeue(id);
        if (requeued) {
            LOG.info("job.requeued", "job", id, "reason", "shutdown");
        } else if (store.finish(id, JobStatus.CANCELLED, null, null)) {
            metrics.jobEnded(JobStatus.CANCELLED);
            LOG.info("job.cancelled", "job", id);
        }
        ended(id);
    }

    private void fail(Job job, Path partial, String message, Throwable cause) {
        deleteQuietly(partial);
        store.finish(job.id(), JobStatus.FAILED, message, null);
        metrics.jobEnded(JobStatus.FAILED);
        LOG.warn("job.failed", cause, "job", job.id(), "error", message);
        ended(job.id());
    }

    private void ended(String id) {
        live.remove(id);
        cancelRequests.remove(id);
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

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    /** Removes partial outputs left by a process that died mid-generation. */
    public static void cleanWorkDir(Path work) throws IOException {
        if (!Files.isDirectory(work)) return;
        try (var files = Files.list(work)) {
            for (Path p : (Iterable<Path>) files::iterator) Files.deleteIfExists(p);
        }
    }
}
