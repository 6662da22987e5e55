package dev.zoetrope.curate.signals;

import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.curate.image.Picture;

/**
 * Measures one clip from its frames as they stream past. Motion is accumulated frame by frame, and so are the mean
 * thumbnails of the clip's three thirds that its near-duplicate hashes are taken from; every {@code sampleEvery}-th
 * frame's luma plane is kept (a few dozen small planes per clip) for the signals that need several frames at once
 * (borders, text) or the picture area (sharpness, exposure).
 *
 * <p>Why thirds and not single frames: a heavily recompressed copy (CRF 35, say) of detailed, moving footage
 * differs from its original frame by frame by codec noise that reaches the hash's low frequencies; over a third of the
 * clip that noise averages out while the picture's layout stays.
 */
public final class SignalExtractor {
    private final int frames;
    private final int sampleEvery;
    private final List<Luma> samples = new ArrayList<>();
    private final double[][] thirds = new double[3][PerceptualHash.N * PerceptualHash.N];
    private final int[] thirdFrames = new int[3];
    private final double[] colors = new double[64];
    private Luma previous;
    private double motionSum;
    private int motionPairs;
    private int seen;

    /** {@code frames} is the clip's frame count, so the thirds are known in advance. */
    public SignalExtractor(int frames, int sampleEvery) {
        if (frames < 1) throw new IllegalArgumentException("a clip needs at least one frame");
        this.frames = frames;
        this.sampleEvery = Math.max(1, sampleEvery);
    }

    public SignalExtractor(int frames) {
        this(frames, 4);
    }

    public void accept(Picture p) {
        Luma y = Luma.of(p);
        if (previous != null) {
            long sum = 0;
            byte[] a = previous.y(), b = y.y();
            for (int i = 0; i < a.length; i++) sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
            motionSum += (double) sum / a.length;
            motionPairs++;
        }
        int third = Math.min(2, seen * 3 / frames);
        double[] thumb = PerceptualHash.thumbnail(y), sum = thirds[third];
        for (int i = 0; i < sum.length; i++) sum[i] += thumb[i];
        thirdFrames[third]++;
        if (seen % sampleEvery == 0 || seen == frames - 1) {
            samples.add(y);
            byte[] rgb = p.rgb();
            for (int q = 0; q < rgb.length; q += 3)
                colors[((rgb[q] & 0xff) >> 6) * 16 + ((rgb[q + 1] & 0xff) >> 6) * 4 + ((rgb[q + 2] & 0xff) >> 6)]++;
        }
        previous = y;
        seen++;
    }

    public ClipSignals finish() {
        if (seen == 0) throw new IllegalStateException("no frames were given");
        long[] hashes = new long[3];
        for (int t = 0; t < 3; t++) {
            if (thirdFrames[t] == 0) {
                // The clip ended early (a short decode): the last third seen stands in for the missing ones.
                hashes[t] = hashes[t - 1];
                continue;
            }
            double[] mean = thirds[t].clone();
            for (int i = 0; i < mean.length; i++) mean[i] /= thirdFrames[t];
            hashes[t] = PerceptualHash.of(mean);
        }
        Borders.Result borders = Borders.measure(samples);
        Region area = borders.content();
        double sharp = 0, bright = 0, darkFrac = 0, brightFrac = 0, visible = 0;
        for (Luma s : samples) {
            sharp += Sharpness.laplacianVariance(s, area);
            Exposure e = Exposure.of(s, area);
            bright += e.brightness();
            darkFrac += e.dark();
            brightFrac += e.bright();
            visible += e.visible();
        }
        int n = samples.size();
        double text = TextOverlay.score(samples, area);
        double total = 0;
        for (double c : colors) total += c;
        float[] hist = new float[64];
        for (int i = 0; i < 64; i++) hist[i] = (float) (colors[i] / total);
        double motion = motionPairs == 0 ? 0 : motionSum / motionPairs;
        return new ClipSignals(motion, sharp / n, bright / n, darkFrac / n, brightFrac / n, visible / n, borders.fraction(), text,
                hashes, hist);
    }
}
