package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.safetensors.SafetensorsFile;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.curate.filter.Features;
import dev.zoetrope.curate.filter.LogisticModel;
import dev.zoetrope.curate.filter.Reason;
import dev.zoetrope.curate.filter.RuleFilter;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.vlm.ChatClient;
import dev.zoetrope.curate.vlm.VlmStage;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.VideoException;
import dev.zoetrope.video.VideoReader;

/**
 * Judges each clip on its own, in parallel: its VAE latents (cached per clip under {@code work/latents/<vae key>/}, so a
 * re-run never encodes a clip twice), the rules, the learned score and, for clips the rules keep, the VLM's verdict and
 * caption. Near-duplicates are resolved afterwards ({@link Duplicates}). The VAE, the filter model and the VLM client
 * are loaded once per worker ({@link Setup}); clips of one size are encoded a batch at a time within a bundle.
 */
final class JudgeFn extends DoFn<ClipResult, KV<String, Verdict>> {
    private final CurateOptions options;
    private final ClipLatents.Spec latentsSpec;

    private transient ClipLatents latents;
    private transient RuleFilter rules;
    private transient LogisticModel model;
    private transient VlmStage vlm;
    private transient List<ClipResult> pending;
    private transient List<byte[]> pendingFrames;

    JudgeFn(CurateOptions options, ClipLatents.Spec latents) {
        this.options = options;
        this.latentsSpec = latents;
    }

    @Setup
    public void setup() {
        latents = latentsSpec == null ? null : latentsSpec.open();
        rules = new RuleFilter(options.filter());
        model = options.modelPath() == null ? null : LogisticModel.load(Path.of(options.modelPath()));
        Path out = Path.of(options.out());
        vlm = options.vlm() == null ? null
                : new VlmStage(new ChatClient(options.vlm().toSettings()), out.resolve("work").resolve("vlm-cache"));
    }

    @StartBundle
    public void startBundle() {
        pending = new ArrayList<>();
        pendingFrames = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element ClipResult c, OutputReceiver<KV<String, Verdict>> out) {
        if (latents == null) {
            out.output(KV.of(c.clipId(), judge(c, null)));
            return;
        }
        float[] cached = cachedLatent(c);
        if (cached != null) {
            out.output(KV.of(c.clipId(), judge(c, cached)));
            return;
        }
        byte[] rgb = framesBytes(c);
        int n = rgb.length / (c.width() * c.height() * 3);
        if (n < 1) throw new VideoException(clipFile(c) + ": no frames decode");
        if (!pending.isEmpty() && !(pendingFrames.getFirst().length == rgb.length && pending.getFirst().width() == c.width()
                && pending.getFirst().height() == c.height())) flush(out::output);
        pending.add(c);
        pendingFrames.add(rgb);
        if (pending.size() >= latents.batchSize(n, c.height(), c.width())) flush(out::output);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
        flush(v -> context.output(v, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
    }

    @Teardown
    public void teardown() {
        if (latents != null) latents.close();
    }

    private interface Sink {
        void accept(KV<String, Verdict> v);
    }

    /** Encodes the pending clips (one size) together, caches each latent, and judges them. */
    private void flush(Sink out) {
        if (pending == null || pending.isEmpty()) return;
        ClipResult first = pending.getFirst();
        int n = pendingFrames.getFirst().length / (first.width() * first.height() * 3);
        List<ClipLatents.Latent> z = latents.encode(pendingFrames, n, first.height(), first.width());
        for (int i = 0; i < pending.size(); i++) {
            ClipResult c = pending.get(i);
            cacheLatent(c, z.get(i));
            out.accept(KV.of(c.clipId(), judge(c, z.get(i).pooled())));
        }
        pending.clear();
        pendingFrames.clear();
    }

    /** Rules, learned score and VLM; the duplicate reason comes later, from the clip's group. */
    private Verdict judge(ClipResult c, float[] visual) {
        List<Reason> reasons = new ArrayList<>(rules.reasons(c.signals()));
        Double aesthetic = null;
        if (model != null) {
            aesthetic = model.score(Features.of(c.signals(), visual));
            if (aesthetic < options.filter().minAesthetic()) reasons.add(Reason.LOW_AESTHETIC);
        }
        String caption = c.caption();
        if (vlm != null && reasons.isEmpty()) {
            try {
                VlmStage.Verdict v = vlm.ask(VlmStage.sample(readFrames(c), Math.max(1, options.vlm().frames())));
                if (!v.keep()) reasons.add(Reason.VLM);
                if (caption == null || caption.isBlank()) caption = v.caption();
            } catch (dev.zoetrope.curate.vlm.VlmException e) {
                // An endpoint that stays down costs this clip its VLM verdict, not the run; a re-run asks again.
                System.err.println("VLM stage failed for " + c.clipId() + ": " + e.getMessage());
            }
        }
        return new Verdict(new Decision(c, List.copyOf(reasons), null, aesthetic, caption == null ? "" : caption), visual);
    }

    /** Where a clip's latents are cached: one small safetensors file per clip and VAE. */
    static Path latentFile(CurateOptions options, String vaeKey, String clipId) {
        return Path.of(options.out()).resolve("work").resolve("latents").resolve(vaeKey).resolve(clipId + ".safetensors");
    }

    /** The cached latent's pooled statistics, or null if it is not cached (or the cache file is damaged). */
    private float[] cachedLatent(ClipResult c) {
        Path f = latentFile(options, latents.key(), c.clipId());
        if (!Files.isRegularFile(f)) return null;
        try {
            return readLatent(f).pooled();
        } catch (RuntimeException damaged) {
            return null; // encoded again
        }
    }

    static ClipLatents.Latent readLatent(Path f) {
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            long[] shape = sf.info(ShardTensor.LATENTS).orElseThrow(() -> new IllegalStateException(f + " holds no latents")).shape();
            return ClipLatents.Latent.of(shape, sf.bytes(ShardTensor.LATENTS));
        }
    }

    private void cacheLatent(ClipResult c, ClipLatents.Latent z) {
        Path f = latentFile(options, latents.key(), c.clipId());
        try {
            Files.createDirectories(f.getParent());
            byte[] bytes = new byte[z.values().length * 4];
            java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(z.values());
            SafetensorsWriter.writeEntries(f, List.of(SafetensorsWriter.Entry.of(ShardTensor.LATENTS, DType.F32, z.shape(), bytes)), Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cache the latents of " + c.clipId() + " in " + f + ": " + e.getMessage(), e);
        }
    }

    private Path clipFile(ClipResult c) {
        return Path.of(options.out()).resolve("clips").resolve(c.clipId() + ".mp4");
    }

    /** The clip's frames decoded straight into one F×H×W×3 array. */
    static byte[] framesBytes(Path mp4, ClipResult c) {
        int size = c.width() * c.height() * 3;
        byte[] all = new byte[c.frames() * size];
        int n = 0;
        try (VideoReader r = VideoReader.open(mp4)) {
            for (Frame f; n < c.frames() && (f = r.next()) != null; n++) System.arraycopy(f.rgb(), 0, all, n * size, size);
        }
        return n == c.frames() ? all : java.util.Arrays.copyOf(all, n * size);
    }

    private byte[] framesBytes(ClipResult c) {
        return framesBytes(clipFile(c), c);
    }

    private List<Picture> readFrames(ClipResult c) {
        List<Picture> frames = new ArrayList<>();
        try (VideoReader r = VideoReader.open(clipFile(c))) {
            for (Frame f; (f = r.next()) != null; ) frames.add(new Picture(f.width(), f.height(), f.rgb()));
        }
        return frames;
    }
}
