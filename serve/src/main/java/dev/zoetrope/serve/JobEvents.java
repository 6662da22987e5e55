package dev.zoetrope.serve;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Tells event streams that a job changed. A subscriber gets a wake-up, not the change itself, and then reads the
 * job's current state: a slow client sees fewer, newer updates instead of a growing backlog.
 */
public final class JobEvents {
    private final ConcurrentHashMap<String, Set<Subscription>> byJob = new ConcurrentHashMap<>();

    /** A wake-up channel for one job; close it when the stream ends. */
    public final class Subscription implements AutoCloseable {
        private final String jobId;
        private final BlockingQueue<Boolean> signal = new ArrayBlockingQueue<>(1);

        private Subscription(String jobId) {
            this.jobId = jobId;
        }

        /** Waits up to {@code millis} for a change; false on timeout. */
        public boolean await(long millis) throws InterruptedException {
            return signal.poll(millis, TimeUnit.MILLISECONDS) != null;
        }

        void wake() {
            signal.offer(Boolean.TRUE);
        }

        @Override
        public void close() {
            byJob.computeIfPresent(jobId, (k, set) -> {
                set.remove(this);
                return set.isEmpty() ? null : set;
            });
        }
    }

    public Subscription subscribe(String jobId) {
        Subscription s = new Subscription(jobId);
        byJob.computeIfAbsent(jobId, k -> ConcurrentHashMap.newKeySet()).add(s);
        return s;
    }

    public void changed(String jobId) {
        Set<Subscription> set = byJob.get(jobId);
        if (set != null) set.forEach(Subscription::wake);
    }

    /** Wakes every stream, e.g. so they notice a shutdown. */
    public void wakeAll() {
        byJob.values().forEach(set -> set.forEach(Subscription::wake));
    }

    int subscribers() {
        return byJob.values().stream().mapToInt(Set::size).sum();
    }
}
