package dev.zoetrope.train.vae;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.models.pipeline.Pixels;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.synth.ClipDetector;
import dev.zoetrope.train.synth.SynthSidecar;
import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.FrameImages;
import dev.zoetrope.models.nn.Ops;

/**
 * How well a VAE keeps what the prompts are about. PSNR alone flatters a VAE on the synthetic world: the
 * object covers a few percent of the frame, so a reconstruction that turns a red triangle into a grey blob
 * still scores about 19 dB. The round trip (chunked encode → streamed decode, as generation runs) is
 * therefore also read by the adherence detector, and its colour, shape and direction are compared with
 * the clip's ground truth: the ceiling the DiT can reach through this VAE.
 *
 * @param psnr      mean PSNR (dB, 8-bit pixels)
 * @param color     fraction of clips whose reconstruction shows the true colour
 * @param shape     … the true shape
 * @param direction … the true direction
 * @param groups    shape kept per true shape and background, in the detector's shape order then the backgrounds'
 */
public record VaeEvaluation(double psnr, double color, double shape, double direction, int clips, List<Group> groups) {

    public VaeEvaluation {
        groups = List.copyOf(groups);
    }

    /**
     * The clips of one true shape on one background: how many keep their shape through the round trip, and their
     * corner ratio ({@link ClipDetector.Detection#cornerRatio}) before and after it. A VAE that rounds corners shows
     * here first: the ratio of its squares falls toward a circle's 1 while colour and PSNR hardly move.
     *
     * @param rendered  mean corner ratio of the clips as rendered
     * @param roundTrip mean corner ratio of their reconstructions
     */
    public record Group(String shape, String background, int clips, int shapeKept, double rendered, double roundTrip) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("shape", shape);
            m.put("background", background);
            m.put("clips", clips);
            m.put("shape_kept", shapeKept);
            m.put("corner_ratio_rendered", rendered);
            m.put("corner_ratio_round_trip", roundTrip);
            return m;
        }
    }

    /**
     * Evaluates {@code vae} on the first clips of a synthetic-world directory, on the device its weights live on; writes
     * an original/reconstruction strip when {@code strip} is set.
     */
    public static VaeEvaluation run(WanVae vae, Path synthDir, int maxClips, Path strip) {
        List<SynthSidecar> truth = SynthWorld.readIndex(synthDir);
        try (ClipSet clips = ClipSet.readSynth(synthDir, maxClips);
             ProgressBar bar = new ProgressBar("round trips", clips.size(), "clip")) {
            int frames = clips.frames() - (clips.frames() - 1) % vae.config().temporalFactor();
            double psnr = 0;
            int color = 0, shape = 0, direction = 0;
            List<List<Frame>> rows = new ArrayList<>();
            Map<GroupKey, double[]> tally = new java.util.TreeMap<>(); // clips, kept, summed ratios before and after
            for (int i = 0; i < clips.size(); i++, bar.step()) {
                try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
                    Tensor x = vae.onDevice(clips.batch(new long[]{i}, 0, frames));
                    Tensor y = torch.clamp(vae.decode(vae.encode(x)), new ScalarOptional(Ops.scalar(-1.0)), new ScalarOptional(Ops.scalar(1.0)));
                    double mse = torch.mse_loss(y, x).item_double() * 127.5 * 127.5;
                    psnr += 10 * Math.log10(255.0 * 255.0 / Math.max(mse, 1e-10));
                    List<Frame> original = frames(x.select(0, 0)), recon = frames(y.select(0, 0));
                    ClipDetector.Detection d = ClipDetector.detect(recon);
                    SynthSidecar t = truth.get(i);
                    boolean kept = d.found() && d.shapeName().equals(t.shape());
                    if (d.found() && d.colorName().equals(t.color())) color++;
                    if (kept) shape++;
                    if (d.found() && d.directionName().equals(t.direction())) direction++;
                    double[] g = tally.computeIfAbsent(GroupKey.of(t), k -> new double[4]);
                    g[0]++;
                    g[1] += kept ? 1 : 0;
                    g[2] += ClipDetector.detect(original).cornerRatio();
                    g[3] += d.cornerRatio();
                    if (strip != null && rows.size() < 16) {
                        rows.add(original);
                        rows.add(recon);
                    }
                }
            }
            if (strip != null && !rows.isEmpty()) FrameImages.writeSheet(strip, rows, frames);
            int n = clips.size();
            List<Group> groups = new ArrayList<>();
            tally.forEach((key, g) -> groups.add(new Group(key.shape(), key.background(), (int) g[0], (int) g[1], g[2] / g[0], g[3] / g[0])));
            return new VaeEvaluation(psnr / n, color / (double) n, shape / (double) n, direction / (double) n, n, groups);
        }
    }

    /** A group's shape and background, ordered as the synthetic world lists them (unknown names last, by name). */
    private record GroupKey(int shapeIndex, int backgroundIndex, String shape, String background) implements Comparable<GroupKey> {
        static GroupKey of(SynthSidecar t) {
            int s = 0, b = 0;
            while (s < SynthSpec.SHAPES.size() && !SynthSpec.SHAPES.get(s).word().equals(t.shape())) s++;
            while (b < SynthSpec.BACKGROUND_PALETTE.size() && !SynthSpec.BACKGROUND_PALETTE.get(b).name().equals(t.background())) b++;
            return new GroupKey(s, b, t.shape(), t.background());
        }

        @Override
        public int compareTo(GroupKey o) {
            return java.util.Comparator.comparingInt(GroupKey::shapeIndex).thenComparingInt(GroupKey::backgroundIndex)
                    .thenComparing(GroupKey::shape).thenComparing(GroupKey::background).compare(this, o);
        }
    }

    /** One line per group: "square on gray: 6/16 kept, corner ratio 1.34 → 1.19". */
    public String table() {
        StringBuilder out = new StringBuilder(String.format("PSNR %.2f dB; colour %.1f%%, shape %.1f%%, direction %.1f%% of %d round trips%n",
                psnr, 100 * color, 100 * shape, 100 * direction, clips));
        for (Group g : groups)
            out.append(String.format("  %s on %s: %d/%d kept, corner ratio %.3f -> %.3f%n", g.shape(), g.background(), g.shapeKept(),
                    g.clips(), g.rendered(), g.roundTrip()));
        return out.toString();
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("psnr_db", psnr);
        m.put("detector_color", color);
        m.put("detector_shape", shape);
        m.put("detector_direction", direction);
        m.put("eval_clips", clips);
        m.put("by_shape_and_background", groups.stream().map(Group::toJson).toList());
        return m;
    }

    /** (3, T, H, W) in [−1, 1] → frames. */
    private static List<Frame> frames(Tensor video) {
        List<Frame> out = new ArrayList<>();
        int h = (int) video.size(2), w = (int) video.size(3);
        for (int t = 0; t < video.size(1); t++) out.add(new Frame(w, h, Pixels.rgb(video.select(1, t)), t, t));
        return out;
    }
}
