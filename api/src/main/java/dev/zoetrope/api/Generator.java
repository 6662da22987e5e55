package dev.zoetrope.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.io.ClipWriter;
import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.video.Frame;

/**
 * A loaded model. Safe to share between threads: one model runs one generation at a time, so concurrent
 * {@link #generate} calls wait their turn, in order of arrival. {@link #close} waits for the running call, then frees the
 * weights; later calls throw {@link IllegalStateException}.
 */
public final class Generator implements AutoCloseable {
    private final ModelDirectory model;
    private final TextToVideo pipeline;
    private final ReentrantLock turn = new ReentrantLock(true);
    private boolean closed;
    private Collector current; // the running call's frames; guarded by turn

    Generator(ModelDirectory model, WeightDtype dtype, ComputeDevice device) {
        this.model = model;
        // the DiT and VAE stay loaded between calls; frames come back through the writer each call opens
        this.pipeline = ModelLoader.open(model, dtype, device, new TextToVideo.Options(true, true, null, Double.NaN),
                (ignored, width, height, fps) -> current.start(width, height, fps));
    }

    /** The model's directory. */
    public Path modelDirectory() {
        return model.root();
    }

    /** A clip of {@code prompt} with the model's defaults. */
    public Video generate(String prompt) {
        return generate(prompt, Settings.DEFAULT, Listener.NONE);
    }

    public Video generate(String prompt, Settings settings) {
        return generate(prompt, settings, Listener.NONE);
    }

    /**
     * Generates one clip in memory.
     *
     * @throws dev.zoetrope.core.InvalidRequestException for settings the model does not support
     * @throws dev.zoetrope.core.progress.GenerationCancelledException when {@code listener} cancelled it
     */
    public Video generate(String prompt, Settings settings, Listener listener) {
        GenerationRequest request = new GenerationRequest(prompt, settings.negativePrompt(), settings.resolution(),
                settings.seconds(), settings.seed(), settings.guidanceScale(), settings.steps());
        turn.lock();
        try {
            if (closed) throw new IllegalStateException("this generator is closed");
            Collector frames = new Collector();
            Clock clock = new Clock(listener);
            current = frames;
            GenerationResult r;
            try {
                r = pipeline.generate(request, null, clock);
            } finally {
                current = null;
            }
            GenerationRequest used = r.resolved();
            Settings resolved = new Settings(used.negativePrompt(), used.resolution(), used.durationSeconds(), used.seed(),
                    used.guidanceScale(), used.steps());
            return new Video(prompt, frames.frames, r.width(), r.height(), r.fps(), resolved, clock.timings());
        } finally {
            turn.unlock();
        }
    }

    @Override
    public void close() {
        turn.lock();
        try {
            if (closed) return;
            closed = true;
            pipeline.close();
        } finally {
            turn.unlock();
        }
    }

    /** Keeps the frames of one clip. */
    private static final class Collector implements ClipWriter {
        final List<Frame> frames = new ArrayList<>();
        int width, height, fps;

        Collector start(int w, int h, int f) {
            width = w;
            height = h;
            fps = f;
            frames.clear();
            return this;
        }

        @Override
        public void frame(byte[] rgb) {
            frames.add(new Frame(width, height, rgb, frames.size(), frames.size() / (double) fps));
        }

        @Override
        public void finish() {}

        @Override
        public void abort() {
            frames.clear();
        }
    }

    /** Passes progress on and notes when each stage starts. */
    private static final class Clock implements GenerationListener {
        private final Listener listener;
        private final long start = System.nanoTime();
        private long denoise = -1, decode = -1;

        Clock(Listener listener) {
            this.listener = listener;
        }

        @Override
        public void progress(String stage, double fraction, double etaSeconds) {
            listener.progress(stage, fraction);
        }

        @Override
        public void stageStep(String stage, long done, long total) {
            long now = System.nanoTime();
            if (stage.equals(TextToVideo.STAGE_DENOISE) && denoise < 0) denoise = now;
            if (stage.equals(TextToVideo.STAGE_DECODE) && decode < 0) decode = now;
        }

        @Override
        public void warning(String message) {
            listener.warning(message);
        }

        @Override
        public boolean cancelled() {
            return listener.cancelled();
        }

        Video.Timings timings() {
            long end = System.nanoTime();
            long d = denoise < 0 ? end : denoise, v = decode < 0 ? end : decode;
            return new Video.Timings(Duration.ofNanos(d - start), Duration.ofNanos(v - d), Duration.ofNanos(end - v),
                    Duration.ofNanos(end - start));
        }
    }
}
