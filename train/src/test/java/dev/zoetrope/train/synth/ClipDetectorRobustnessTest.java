package dev.zoetrope.train.synth;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.zoetrope.video.Frame;

/**
 * Generated videos are softer and noisier than rendered ones. The detector must still read clips that
 * are blurred and carry pixel noise, as a model's output would.
 */
class ClipDetectorRobustnessTest {
    @ParameterizedTest(name = "box blur radius {0}, noise ±{1}")
    @CsvSource({"1, 12", "2, 25"})
    void readsBlurredNoisyClips(int blur, int noiseAmplitude) {
        SynthWorld.Settings s = new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.ALL);
        SplittableRandom noise = new SplittableRandom(5);
        int clips = 100, colorOk = 0, shapeOk = 0, directionOk = 0;
        List<String> misses = new ArrayList<>();
        for (int i = 0; i < clips; i++) {
            SynthClip clip = SynthWorld.plan(s, 21, i);
            List<Frame> degraded = new ArrayList<>();
            for (Frame f : SynthRenderer.render(clip)) degraded.add(degrade(f, noise, blur, noiseAmplitude));
            ClipDetector.Detection d = ClipDetector.detect(degraded);
            boolean c = d.color() == clip.combination().color(), sh = d.shape() == clip.combination().shape(),
                    m = d.direction() == clip.combination().direction();
            if (c) colorOk++;
            if (sh) shapeOk++;
            if (m) directionOk++;
            if (!(c && sh && m)) misses.add(clip.id() + " truth " + clip.combination().describe() + ": " + d.describe());
        }
        System.out.printf(Locale.ROOT, "blur %d, noise ±%d: color %.3f shape %.3f direction %.3f%n", blur, noiseAmplitude, (double) colorOk / clips,
                (double) shapeOk / clips, (double) directionOk / clips);
        misses.forEach(System.out::println);
        assertTrue(colorOk >= 0.95 * clips, "color " + colorOk);
        assertTrue(shapeOk >= 0.95 * clips, "shape " + shapeOk);
        assertTrue(directionOk >= 0.95 * clips, "direction " + directionOk);
    }

    /** A (2r+1)² box blur, then uniform noise of ±amplitude per channel. */
    static Frame degrade(Frame f, SplittableRandom rnd, int r, int amplitude) {
        int w = f.width(), h = f.height();
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    int sum = 0, n = 0;
                    for (int dy = -r; dy <= r; dy++) {
                        for (int dx = -r; dx <= r; dx++) {
                            int xx = Math.clamp(x + dx, 0, w - 1), yy = Math.clamp(y + dy, 0, h - 1);
                            sum += f.rgb()[(yy * w + xx) * 3 + ch] & 0xff;
                            n++;
                        }
                    }
                    int v = Math.round((float) sum / n) + rnd.nextInt(-amplitude, amplitude + 1);
                    out[(y * w + x) * 3 + ch] = (byte) Math.clamp(v, 0, 255);
                }
            }
        }
        return new Frame(w, h, out, f.index(), f.timeSeconds());
    }
}
