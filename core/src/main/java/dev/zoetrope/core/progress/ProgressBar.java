package dev.zoetrope.core.progress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A text progress bar with rate and ETA. On a terminal it redraws one line; otherwise (logs, CI) it prints
 * a line at most every few seconds. Listeners see every update, so a service can report the same progress.
 */
public final class ProgressBar implements AutoCloseable {
    /** Receives (done, total, seconds elapsed, seconds left estimate or NaN). */
    @FunctionalInterface
    public interface Listener {
        void update(long done, long total, double elapsed, double eta);
    }

    private final String label;
    private final long total;
    private final String unit;
    private final PrintStream out;
    private final boolean terminal;
    private final Listener listener;
    private final long start = System.nanoTime();
    private long done;
    private boolean started;
    private long baseDone;
    private long baseTime = start;
    private long lastPrint;
    private String extra = "";
    private boolean closed;

    public ProgressBar(String label, long total, String unit, PrintStream out, Listener listener) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.out = out;
        this.terminal = System.console() != null && out == System.err && !"true".equals(System.getenv("CI"));
        this.listener = listener;
    }

    public ProgressBar(String label, long total, String unit) {
        this(label, total, unit, System.err, null);
    }

    /** A bar that draws nothing and only tells {@code listener}. */
    public static ProgressBar silent(long total, Listener listener) {
        return new ProgressBar("", total, "", null, listener);
    }

    public synchronized void step() {
        stepTo(done + 1);
    }

    /** Extra text shown after the bar, e.g. the current loss. */
    public synchronized void note(String text) {
        this.extra = text;
    }

    /**
     * Sets the count of finished units. A first update that jumps past 1 marks a resumed run: the rate and
     * ETA then count only the units finished since, not those done before the resume.
     */
    public synchronized void stepTo(long n) {
        long now = System.nanoTime();
        done = Math.clamp(n, 0, Math.max(total, 0));
        if (!started) {
            started = true;
            if (done > 1) {
                baseDone = done;
                baseTime = now;
            }
        }
        double elapsed = (now - start) / 1e9;
        double sinceBase = (now - baseTime) / 1e9;
        long progressed = done - baseDone;
        double eta = progressed <= 0 || sinceBase <= 0 ? Double.NaN : sinceBase / progressed * (total - done);
        if (done == total) eta = 0;
        if (listener != null) listener.update(done, total, elapsed, eta);
        long every = terminal ? 100_000_000L : 5_000_000_000L;
        if (out != null && (done == total || now - lastPrint > every)) {
            lastPrint = now;
            draw(elapsed, sinceBase, progressed, eta);
        }
    }

    public long done() {
        return done;
    }

    private void draw(double elapsed, double sinceBase, long progressed, double eta) {
        int width = 30;
        int filled = total <= 0 ? width : (int) (width * done / total);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        double rate = sinceBase > 0 && progressed > 0 ? progressed / sinceBase : 0;
        String rateText = rate >= 1 || rate == 0 ? String.format(Locale.ROOT, "%.2f %s/s", rate, unit)
                : String.format(Locale.ROOT, "%.2f s/%s", 1 / rate, unit);
        String line = String.format(Locale.ROOT, "%s [%s] %d/%d %s, %s elapsed, ETA %s%s", label, bar, done, total,
                rateText, clock(elapsed), Double.isNaN(eta) ? "?" : clock(eta), extra.isEmpty() ? "" : "  " + extra);
        if (terminal) out.print("\r" + line + "\u001b[K");
        else out.println(line);
        out.flush();
    }

    public static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (out != null && terminal) {
            out.println();
            out.flush();
        }
    }
}
