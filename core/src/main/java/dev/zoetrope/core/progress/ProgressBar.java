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

    public synchronized void stepTo(long n) {
        done = Math.min(n, total);
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = done == 0 ? Double.NaN : elapsed / done * (total - done);
        if (listener != null) listener.update(done, total, elapsed, eta);
        long now = System.nanoTime();
        long every = terminal ? 100_000_000L : 5_000_000_000L;
        if (out != null && (done == total || now - lastPrint > every)) {
            lastPrint = now;
            draw(elapsed, eta);
        }
    }

    public long done() {
        return done;
    }

    private void draw(double elapsed, double eta) {
        int width = 30;
        int filled = total == 0 ? width : (int) (width * done / total);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        double rate = elapsed > 0 ? done / elapsed : 0;
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
