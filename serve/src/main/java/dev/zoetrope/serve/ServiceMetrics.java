package dev.zoetrope.serve;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;

/** Counters the service exports in the Prometheus text format. */
public final class ServiceMetrics {
    /** Upper bounds of the seconds-per-step histogram: from a toy model to a large one on a CPU. */
    static final double[] STEP_BUCKETS = {0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120};

    private final AtomicLongArray stepBuckets = new AtomicLongArray(STEP_BUCKETS.length);
    private final AtomicLong stepCount = new AtomicLong();
    private final DoubleAdder stepSum = new DoubleAdder();
    private final Map<Integer, AtomicLong> responses = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> finished = new ConcurrentHashMap<>();
    private final AtomicLong claims = new AtomicLong();
    private final AtomicLong reruns = new AtomicLong();
    private final AtomicLong leaseExpiries = new AtomicLong();

    /** This process's worker claimed a job; {@code rerun} when the job had been claimed before. */
    public void claimed(boolean rerun) {
        claims.incrementAndGet();
        if (rerun) reruns.incrementAndGet();
    }

    /** This process found a job whose worker had stopped renewing its lease. */
    public void leaseExpired() {
        leaseExpiries.incrementAndGet();
    }

    /** One finished generation: its wall time spread over its denoising steps. */
    public void generationFinished(double seconds, int steps) {
        double perStep = seconds / Math.max(1, steps);
        for (int i = 0; i < STEP_BUCKETS.length; i++) if (perStep <= STEP_BUCKETS[i]) stepBuckets.incrementAndGet(i);
        stepCount.incrementAndGet();
        stepSum.add(perStep);
    }

    public void jobEnded(JobStatus status) {
        finished.computeIfAbsent(status.wire(), k -> new AtomicLong()).incrementAndGet();
    }

    public void response(int code) {
        responses.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
    }

    /** The exposition text; {@code counts} are the jobs per status now in the database. */
    public String render(Map<JobStatus, Long> counts, int streams) {
        StringBuilder b = new StringBuilder(2048);
        b.append("# HELP zoetrope_queue_length Jobs waiting to start.\n# TYPE zoetrope_queue_length gauge\n");
        b.append("zoetrope_queue_length ").append(counts.getOrDefault(JobStatus.QUEUED, 0L)).append('\n');
        b.append("# HELP zoetrope_jobs Jobs in the database by status.\n# TYPE zoetrope_jobs gauge\n");
        counts.forEach((s, n) -> b.append("zoetrope_jobs{status=\"").append(s.wire()).append("\"} ").append(n).append('\n'));
        b.append("# HELP zoetrope_jobs_ended_total Jobs this process took to a final status.\n# TYPE zoetrope_jobs_ended_total counter\n");
        for (JobStatus s : JobStatus.values())
            if (s.terminal()) b.append("zoetrope_jobs_ended_total{status=\"").append(s.wire()).append("\"} ")
                    .append(finished.getOrDefault(s.wire(), new AtomicLong()).get()).append('\n');
        counter(b, "zoetrope_claims_total", "Jobs this process's workers claimed.", claims.get());
        counter(b, "zoetrope_reruns_total", "Claims of jobs that had been claimed before (a lease expired, a restart, a store failure).", reruns.get());
        counter(b, "zoetrope_lease_expiries_total", "Jobs this process returned to the queue (or failed) because their worker's lease ran out.", leaseExpiries.get());
        b.append("# HELP zoetrope_step_seconds Wall seconds per denoising step of finished generations (encode and decode included).\n");
        b.append("# TYPE zoetrope_step_seconds histogram\n");
        for (int i = 0; i < STEP_BUCKETS.length; i++)
            b.append("zoetrope_step_seconds_bucket{le=\"").append(num(STEP_BUCKETS[i])).append("\"} ").append(stepBuckets.get(i)).append('\n');
        b.append("zoetrope_step_seconds_bucket{le=\"+Inf\"} ").append(stepCount.get()).append('\n');
        b.append("zoetrope_step_seconds_sum ").append(num(stepSum.sum())).append('\n');
        b.append("zoetrope_step_seconds_count ").append(stepCount.get()).append('\n');
        b.append("# HELP zoetrope_http_responses_total HTTP responses by status code.\n# TYPE zoetrope_http_responses_total counter\n");
        responses.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                b.append("zoetrope_http_responses_total{code=\"").append(e.getKey()).append("\"} ").append(e.getValue().get()).append('\n'));
        b.append("# HELP zoetrope_event_streams Open Server-Sent Event streams.\n# TYPE zoetrope_event_streams gauge\n");
        b.append("zoetrope_event_streams ").append(streams).append('\n');
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n");
        b.append(name).append(' ').append(value).append('\n');
    }

    private static String num(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
    }
}
