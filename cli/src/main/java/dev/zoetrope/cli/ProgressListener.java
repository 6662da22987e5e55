package dev.zoetrope.cli;

import java.io.PrintStream;

import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.models.pipeline.GenerationListener;

/** Shows a generation on the terminal: one progress bar with ETA per stage that counts steps or frames. */
final class ProgressListener implements GenerationListener {
    private final PrintStream out;
    private String stage;
    private ProgressBar bar;
    private volatile boolean cancelled;

    ProgressListener(PrintStream out) {
        this.out = out;
    }

    @Override
    public void progress(String stage, double fraction, double etaSeconds) {}

    @Override
    public synchronized void stageStep(String stage, long done, long total) {
        if (!stage.equals(this.stage)) {
            close();
            this.stage = stage;
            bar = new ProgressBar(stage, total, stage.startsWith("decod") ? "frame" : stage.startsWith("encod") ? "prompt" : "step", out, null);
        }
        bar.stepTo(done);
    }

    @Override
    public synchronized void warning(String message) {
        close();
        out.println("warning: " + message);
    }

    /** Asks the generation to stop between steps. */
    void cancel() {
        cancelled = true;
    }

    @Override
    public boolean cancelled() {
        return cancelled;
    }

    synchronized void close() {
        if (bar != null) bar.close();
        bar = null;
    }
}
