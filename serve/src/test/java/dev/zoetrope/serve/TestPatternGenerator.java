package dev.zoetrope.serve;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.core.progress.GenerationCancelledException;
import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.VideoGenerator;
import dev.zoetrope.video.Mp4Writer;

/**
 * TEST DOUBLE for {@link VideoGenerator}: no model, no weights. It walks through "steps" that each sleep
 * {@code stepMillis}, reports progress and honours cancellation like the real pipeline, then writes a small, real
 * H.264 mp4 through the video module's {@link Mp4Writer} (a moving bar whose colour depends on prompt and seed), so
 * the service's file handling and the browser's player are exercised for real. It also checks that the service never overlaps generate calls.
 */
public final class TestPatternGenerator implements VideoGenerator {
    static final ModelCapabilities CAPS = new ModelCapabilities("test-pattern",
            Map.of("64p", new int[]{64, 64}, "128p", new int[]{128, 128}), "64p",
            1, 4, 2, 8, 1, 50, 4, 5.0, "blurry", 42L, 512);

    /** A prompt containing this makes the generation throw, as a broken model would. */
    static final String FAIL = "[fail]";
    /** ... throw an IllegalArgumentException, as a bug deep in the model's glue code would. */
    static final String BUG = "[bug]";
    /** ... refuse the request as the real pipeline does when it is outside what the model can do. */
    static final String INVALID = "[invalid]";
    /** ... fail on the model's own files, as a service started with a broken model directory would. */
    static final String BROKEN_MODEL = "[broken-model]";

    private final long stepMillis;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private volatile boolean overlapped;
    private volatile java.io.IOException writeFailure;

    public TestPatternGenerator(long stepMillis) {
        this.stepMillis = stepMillis;
    }

    @Override
    public ModelCapabilities capabilities() {
        return CAPS;
    }

    @Override
    public GenerationResult generate(GenerationRequest request, Path outputMp4, GenerationListener listener) {
        if (active.incrementAndGet() > 1) overlapped = true;
        calls.incrementAndGet();
        try {
            if (request.prompt().contains(FAIL)) throw new IllegalStateException("the test double was asked to fail");
            if (request.prompt().contains(BUG)) throw new IllegalArgumentException("index 7 out of bounds for a tensor of 3 dims");
            if (request.prompt().contains(INVALID)) throw new InvalidRequestException("this model cannot draw that");
            if (request.prompt().contains(BROKEN_MODEL)) throw new ModelLoadException("t5/model.safetensors: missing tensor 'shared.weight'");
            int[] size = CAPS.resolutions().get(request.resolution());
            if (size == null) throw new InvalidRequestException("unknown resolution " + request.resolution());
            int steps = request.steps();
            long t0 = System.nanoTime();
            listener.progress("encode text", 0.0, Double.NaN);
            for (int s = 0; s < steps; s++) {
                if (listener.cancelled()) throw new GenerationCancelledException();
                sleep(stepMillis);
                double fraction = 0.05 + 0.85 * (s + 1) / steps;
                double elapsed = (System.nanoTime() - t0) / 1e9;
                listener.progress("denoise", fraction, elapsed / (s + 1) * (steps - s - 1));
            }
            if (listener.cancelled()) throw new GenerationCancelledException();
            listener.progress("decode", 0.95, 0.1);
            if (writeFailure != null) throw new java.io.UncheckedIOException(outputMp4 + ": cannot write", writeFailure);
            int frames = CAPS.fps() * (int) Math.floor(request.durationSeconds()) + 1;
            int hue = Math.floorMod((request.prompt() + "|" + request.seed()).hashCode(), 360);
            int w = size[0];
            int h = size[1];
            // Mp4Writer writes a hidden temporary file and renames it on close: the output appears whole or not at all.
            Mp4Writer writer = Mp4Writer.open(outputMp4, w, h, CAPS.fps(), 23, "ultrafast");
            try {
                for (int t = 0; t < frames; t++) writer.write(frame(w, h, t, frames, hue));
            } catch (RuntimeException e) {
                writer.abort();
                throw e;
            }
            writer.close();
            listener.progress("done", 1.0, 0);
            return new GenerationResult(outputMp4, request, w, h, frames, CAPS.fps(), (double) (frames - 1) / CAPS.fps());
        } finally {
            active.decrementAndGet();
        }
    }

    /** RGB24 frame {@code t}: a vertical gradient in the clip's colour with a bright bar sweeping left to right. */
    static byte[] frame(int w, int h, int t, int frames, int hue) {
        byte[] rgb = new byte[w * h * 3];
        double bar = (double) t / Math.max(1, frames - 1) * (w - 1);
        double r = 0.5 + 0.5 * Math.cos(Math.toRadians(hue));
        double g = 0.5 + 0.5 * Math.cos(Math.toRadians(hue - 120));
        double b = 0.5 + 0.5 * Math.cos(Math.toRadians(hue + 120));
        for (int y = 0; y < h; y++) {
            double shade = 0.25 + 0.75 * y / (h - 1);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                boolean lit = Math.abs(x - bar) < w / 10.0;
                rgb[i] = (byte) (lit ? 250 : (int) (255 * r * shade));
                rgb[i + 1] = (byte) (lit ? 245 : (int) (255 * g * shade));
                rgb[i + 2] = (byte) (lit ? 220 : (int) (255 * b * shade));
            }
        }
        return rgb;
    }

    /** Makes writing the clip fail with {@code e} (as a full disk would) until called with null. */
    void failWrites(java.io.IOException e) {
        writeFailure = e;
    }

    /** How many generate calls started. */
    public int calls() {
        return calls.get();
    }

    /** True if two generate calls ever ran at once (the service must serialise them). */
    public boolean overlapped() {
        return overlapped;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException();
        }
    }

    /** The adapters of each generate call, in order (empty lists for calls without). */
    public final java.util.List<java.util.List<dev.zoetrope.models.dit.Lora>> adapters =
            java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    @Override
    public GenerationResult generate(GenerationRequest request, Path outputMp4, GenerationListener listener,
                                     java.util.List<dev.zoetrope.models.dit.Lora> loras) {
        adapters.add(java.util.List.copyOf(loras));
        return generate(request, outputMp4, listener);
    }

    @Override
    public void close() {}
}
