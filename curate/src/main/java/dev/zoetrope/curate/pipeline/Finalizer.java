package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.curate.filter.Features;
import dev.zoetrope.curate.filter.LogisticModel;
import dev.zoetrope.curate.filter.Reason;
import dev.zoetrope.curate.filter.RuleFilter;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.vlm.ChatClient;
import dev.zoetrope.curate.vlm.VlmStage;
import dev.zoetrope.train.shards.ClipRecord;
import dev.zoetrope.train.shards.ShardClip;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.train.shards.ShardWriter;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.VideoReader;
import dev.zoetrope.video.VideoException;

/**
 * The last stage: decides every clip (rules, near-duplicates, learned score, optional VLM), picks captions (sidecar
 * first, then the VLM's), and writes manifest.jsonl, features.jsonl, the training shards, summary.json and
 * report.html. It runs once per run, after all sources are extracted.
 */
public final class Finalizer {
    private final CurateOptions options;
    private final Path out;
    private final ShardExtras extras;
    private final ClipLatents latents;
    private final PrintStream log;

    /**
     * @param extras  text-side tensors for the shards ({@link ShardExtras#NONE} for none)
     * @param latents the VAE stage, or null: without it the shards hold no latents and the features no latent statistics
     */
    public Finalizer(CurateOptions options, ShardExtras extras, ClipLatents latents, PrintStream log) {
        this.options = options;
        this.out = Path.of(options.out());
        this.extras = extras;
        this.latents = latents;
        this.log = log;
    }

    /** Summary numbers of a run. */
    public record Summary(int sources, int sourcesOk, Map<String, Integer> sourceProblems, int shots, int clips,
                          int accepted, Map<String, Integer> rejectedBy, long shardClips) {}

    public Summary finish(List<ClipResult> clipsIn, List<SourceReport> reportsIn, Map<String, String> duplicates) throws IOException {
        List<ClipResult> clips = new ArrayList<>(clipsIn);
        clips.sort(Comparator.comparing(ClipResult::clipId));
        List<SourceReport> reports = new ArrayList<>(reportsIn);
        reports.sort(Comparator.comparing(SourceReport::source));
        for (SourceReport r : reports)
            if (!r.status().equals("ok"))
                log.println((r.clipIds().isEmpty() ? "skipped " : "kept " + r.clipIds().size() + " clip(s) of ") + r.source() + ": "
                        + r.status() + (r.message().isEmpty() ? "" : " (" + r.message() + ")"));

        RuleFilter rules = new RuleFilter(options.filter());
        LogisticModel model = options.modelPath() == null ? null : LogisticModel.load(Path.of(options.modelPath()));
        Map<String, float[]> visual = latents == null ? Map.of() : encodeLatents(clips);
        VlmStage vlm = options.vlm() == null ? null
                : new VlmStage(new ChatClient(options.vlm().toSettings()), out.resolve("work").resolve("vlm-cache"));

        List<Decision> decisions = new ArrayList<>();
        try (ProgressBar bar = new ProgressBar("decide", clips.size(), "clips", log, null)) {
            for (ClipResult c : clips) {
                List<Reason> reasons = new ArrayList<>(rules.reasons(c.signals()));
                String dupOf = duplicates.get(c.clipId());
                if (dupOf != null) reasons.add(Reason.DUPLICATE);
                Double aesthetic = null;
                if (model != null) {
                    aesthetic = model.score(Features.of(c.signals(), visual.get(c.clipId())));
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
                        log.println("VLM stage failed for " + c.clipId() + ": " + e.getMessage());
                    }
                }
                decisions.add(new Decision(c, List.copyOf(reasons), dupOf, aesthetic, caption == null ? "" : caption));
                bar.step();
            }
        }
        Manifest.write(out.resolve("manifest.jsonl"), decisions);
        writeFeatures(clips, visual);
        long shardClips = writeShards(decisions);
        Summary summary = summarize(reports, decisions, shardClips);
        AtomicFiles.writeString(out.resolve("summary.json"), Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n");
        Report.write(out.resolve("report.html"), summary, reports, decisions);
        return summary;
    }

    /**
     * The VAE stage: encodes every clip not yet in the latent cache ({@code work/latents/<vae key>/}, a shard set, so a
     * re-run or a change of thresholds never encodes a clip twice), then returns each clip's pooled latent statistics.
     * Every clip is encoded, accepted or not, since the learned filter is trained and applied on all of them.
     */
    private Map<String, float[]> encodeLatents(List<ClipResult> clips) throws IOException {
        Path cache = latentCache();
        try (ShardWriter w = ShardWriter.open(cache, options.clipsPerShard());
             ProgressBar bar = new ProgressBar("latents", clips.size(), "clips", log, null)) {
            // Clips of one size (the usual case) are encoded a batch at a time.
            List<ClipResult> batch = new ArrayList<>();
            List<byte[]> frames = new ArrayList<>();
            for (ClipResult c : clips) {
                if (!w.contains(c.clipId())) {
                    byte[] rgb = framesBytes(c);
                    int n = rgb.length / (c.width() * c.height() * 3);
                    if (n < 1) throw new VideoException(out.resolve("clips").resolve(c.clipId() + ".mp4") + ": no frames decode");
                    if (!batch.isEmpty() && !sameSize(batch.getFirst(), frames.getFirst(), c, rgb)) encodeBatch(batch, frames, w, bar);
                    batch.add(c);
                    frames.add(rgb);
                    if (batch.size() >= latents.batchSize(n, c.height(), c.width())) encodeBatch(batch, frames, w, bar);
                } else bar.step();
            }
            if (!batch.isEmpty()) encodeBatch(batch, frames, w, bar);
        }
        Set<String> wanted = new HashSet<>();
        for (ClipResult c : clips) wanted.add(c.clipId());
        Map<String, float[]> pooled = new HashMap<>();
        try (ShardReader r = ShardReader.open(cache)) {
            for (ShardClip sc : r)
                if (wanted.contains(sc.record().clipId())) pooled.put(sc.record().clipId(), storedLatent(sc).pooled());
        }
        return pooled;
    }

    private void encodeBatch(List<ClipResult> batch, List<byte[]> frames, ShardWriter w, ProgressBar bar) throws IOException {
        ClipResult first = batch.getFirst();
        int n = frames.getFirst().length / (first.width() * first.height() * 3);
        List<ClipLatents.Latent> z = latents.encode(frames, n, first.height(), first.width());
        for (int i = 0; i < batch.size(); i++) {
            ClipResult c = batch.get(i);
            w.add(ClipRecord.of(c.clipId(), "", c.source(), c.startS(), c.endS(), c.fps(), c.width(), c.height(),
                    latents.usableFrames(n), Map.of()), List.of(z.get(i).tensor()));
            bar.step();
        }
        batch.clear();
        frames.clear();
    }

    private static boolean sameSize(ClipResult a, byte[] aFrames, ClipResult b, byte[] bFrames) {
        return a.width() == b.width() && a.height() == b.height() && aFrames.length == bFrames.length;
    }

    private Path latentCache() {
        return out.resolve("work").resolve("latents").resolve(latents.key());
    }

    private static ClipLatents.Latent storedLatent(ShardClip sc) {
        return ClipLatents.Latent.of(sc.record().tensors().get(ShardTensor.LATENTS).shape(), sc.bytes(ShardTensor.LATENTS));
    }

    /**
     * A filter model is applied only to features like those it was fitted on: the same signals, plus latent statistics
     * of a VAE with as many channels (or none). Checked before any clip is cut, so a mismatch costs nothing.
     */
    public static void checkFilterModel(CurateOptions options, ClipLatents latents) {
        if (options.modelPath() == null) return;
        LogisticModel model = LogisticModel.load(Path.of(options.modelPath()));
        int runExtra = latents == null ? 0 : 2 * latents.vae().config().zDim();
        int want = model.weights().length, modelExtra = want - Features.BASE - Features.COLORS;
        if (modelExtra == runExtra) return;
        throw new InvalidRequestException(options.modelPath() + ": the filter model was fitted on " + want + " features ("
                + (modelExtra == 0 ? "no latent statistics" : modelExtra + " latent statistics") + "), this run gives "
                + (Features.BASE + Features.COLORS + runExtra) + " (" + (runExtra == 0 ? "no VAE" : runExtra + " latent statistics")
                + "); curate with the same VAE (or none) as the run whose features.jsonl trained it");
    }

    private void writeFeatures(List<ClipResult> clips, Map<String, float[]> visual) throws IOException {
        AtomicFiles.writeStream(out.resolve("features.jsonl"), o -> {
            for (ClipResult c : clips) {
                ObjectNode line = Json.PLAIN.createObjectNode().put("clip_id", c.clipId());
                var x = line.putArray("x");
                for (double v : Features.of(c.signals(), visual.get(c.clipId()))) x.add(v);
                o.write(Json.PLAIN.writeValueAsString(line).getBytes(StandardCharsets.UTF_8));
                o.write('\n');
            }
        });
    }

    private long writeShards(List<Decision> decisions) throws IOException {
        Path dir = out.resolve("shards");
        Set<String> accepted = new HashSet<>();
        for (Decision d : decisions) if (d.accepted()) accepted.add(d.clip().clipId());
        // Which VAE made the shards' latents ("none": no latents); shards of another VAE are rebuilt, never mixed.
        Path madeWith = out.resolve("work").resolve("shards-vae.txt");
        String vae = latents == null ? "none" : latents.key();
        if (Files.exists(dir.resolve("shards.json"))) {
            boolean stale = !vae.equals(Files.exists(madeWith) ? Files.readString(madeWith).strip() : "none");
            try (ShardReader r = ShardReader.open(dir)) {
                for (ClipRecord rec : r.records()) if (!accepted.contains(rec.clipId())) stale = true;
            }
            // Shards are append-only; when the accepted set shrank (new thresholds), they are rebuilt.
            if (stale) deleteTree(dir);
        }
        AtomicFiles.writeString(madeWith, vae + "\n");
        List<Decision> todo = new ArrayList<>();
        try (ShardWriter w = ShardWriter.open(dir, options.clipsPerShard());
             ShardReader cache = latents == null ? null : ShardReader.open(latentCache())) {
            for (Decision d : decisions) if (d.accepted() && !w.contains(d.clip().clipId())) todo.add(d);
            try (ProgressBar bar = new ProgressBar("shards", todo.size(), "clips", log, null)) {
                for (Decision d : todo) {
                    ClipResult c = d.clip();
                    byte[] frames = framesBytes(c);
                    int n = frames.length / (c.width() * c.height() * 3);
                    List<ShardTensor> tensors = new ArrayList<>();
                    tensors.add(ShardTensor.frames(n, c.height(), c.width(), frames));
                    if (cache != null) tensors.add(storedLatent(cache.get(c.clipId()).orElseThrow(() -> new IllegalStateException(
                            latentCache() + " lost the latents of " + c.clipId()))).tensor());
                    tensors.addAll(extras.tensors(c, d.caption(), frames));
                    Map<String, Double> signals = new LinkedHashMap<>(c.signals().named());
                    if (d.aesthetic() != null) signals.put("aesthetic", d.aesthetic());
                    w.add(ClipRecord.of(c.clipId(), d.caption(), c.source(), c.startS(), c.endS(), c.fps(), c.width(), c.height(), n, signals), tensors);
                    bar.step();
                }
            }
        }
        try (ShardReader r = ShardReader.open(dir)) {
            return r.size();
        }
    }

    /** The clip's frames decoded straight into one F×H×W×3 array (one copy of the clip, never of the source). */
    private byte[] framesBytes(ClipResult c) {
        int size = c.width() * c.height() * 3;
        byte[] all = new byte[c.frames() * size];
        int n = 0;
        try (VideoReader r = VideoReader.open(out.resolve("clips").resolve(c.clipId() + ".mp4"))) {
            for (Frame f; n < c.frames() && (f = r.next()) != null; n++) System.arraycopy(f.rgb(), 0, all, n * size, size);
        }
        return n == c.frames() ? all : java.util.Arrays.copyOf(all, n * size);
    }

    /** Decodes a stored clip (a few seconds at the output size). */
    List<Picture> readFrames(ClipResult c) {
        List<Picture> frames = new ArrayList<>();
        try (VideoReader r = VideoReader.open(out.resolve("clips").resolve(c.clipId() + ".mp4"))) {
            for (Frame f; (f = r.next()) != null; ) frames.add(new Picture(f.width(), f.height(), f.rgb()));
        }
        return frames;
    }

    private static Summary summarize(List<SourceReport> reports, List<Decision> decisions, long shardClips) {
        Map<String, Integer> problems = new LinkedHashMap<>();
        int ok = 0, shots = 0;
        for (SourceReport r : reports) {
            shots += r.shots();
            // A truncated source is usable (its decodable part gave clips) and still a problem to report.
            if (r.status().equals("ok") || !r.clipIds().isEmpty()) ok++;
            if (!r.status().equals("ok")) problems.merge(r.status(), 1, Integer::sum);
        }
        Map<String, Integer> by = new LinkedHashMap<>();
        for (Reason reason : Reason.values()) by.put(reason.code(), 0);
        int accepted = 0;
        for (Decision d : decisions) {
            if (d.accepted()) accepted++;
            for (Reason r : d.reasons()) by.merge(r.code(), 1, Integer::sum);
        }
        return new Summary(reports.size(), ok, problems, shots, decisions.size(), accepted, by, shardClips);
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
