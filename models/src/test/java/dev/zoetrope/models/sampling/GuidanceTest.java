package dev.zoetrope.models.sampling;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;

import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

/** Guidance against an independent element-by-element computation in plain doubles. */
class GuidanceTest {
    // (B, C, T, H, W)
    static final int B = 2, C = 3, T = 2, H = 2, W = 2;
    static final int N = B * C * T * H * W;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    static int index(int b, int c, int t, int h, int w) {
        return (((b * C + c) * T + t) * H + h) * W + w;
    }

    static float[] random(Random r, double spread) {
        float[] a = new float[N];
        for (int i = 0; i < N; i++) a[i] = (float) (r.nextGaussian() * spread);
        return a;
    }

    /** APG by the definition, loop by loop. */
    static double[] apgReference(float[][] conds, float[][] nulls, double scale, double momentum, double rescale, double eta) {
        double[] buf = new double[N];
        double[] out = null;
        for (int step = 0; step < conds.length; step++) {
            float[] c = conds[step], u = nulls[step];
            double[] d = new double[N];
            for (int i = 0; i < N; i++) {
                buf[i] = (c[i] - u[i]) + momentum * buf[i];
                d[i] = buf[i];
            }
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++) {
                    double sq = 0;
                    for (int ch = 0; ch < C; ch++)
                        for (int h = 0; h < H; h++)
                            for (int w = 0; w < W; w++) sq += d[index(b, ch, t, h, w)] * d[index(b, ch, t, h, w)];
                    double f = Math.min(1, rescale / Math.sqrt(sq));
                    for (int ch = 0; ch < C; ch++)
                        for (int h = 0; h < H; h++)
                            for (int w = 0; w < W; w++) d[index(b, ch, t, h, w)] *= f;
                }
            out = new double[N];
            int per = N / B;
            for (int b = 0; b < B; b++) {
                double cc = 0, dc = 0;
                for (int i = b * per; i < (b + 1) * per; i++) {
                    cc += (double) c[i] * c[i];
                    dc += d[i] * c[i];
                }
                for (int i = b * per; i < (b + 1) * per; i++) {
                    double par = dc / cc * c[i];
                    double orth = d[i] - par;
                    out[i] = c[i] + scale * (orth + eta * par);
                }
            }
        }
        return out;
    }

    @Test
    void apgMatchesDefinitionOverSeveralSteps() {
        Random r = new Random(11);
        int steps = 3;
        float[][] conds = new float[steps][], nulls = new float[steps][];
        for (int s = 0; s < steps; s++) {
            conds[s] = random(r, 1.0);
            // large differences on some steps so the per-frame rescale clamps some frames but not others
            nulls[s] = random(r, s == 1 ? 6.0 : 0.5);
        }
        for (double eta : new double[]{0.0, 0.3}) {
            double[] expected = apgReference(conds, nulls, 7.0, -0.75, 3.0, eta);
            try (PointerScope scope = new PointerScope(); ApgGuidance apg = new ApgGuidance(7.0, -0.75, 3.0, eta)) {
                float[] got = null;
                for (int s = 0; s < steps; s++)
                    got = Tensors.toFloats(apg.combine(Tensors.fromFloats(conds[s], B, C, T, H, W),
                            Tensors.fromFloats(nulls[s], B, C, T, H, W)));
                double maxExp = 0, maxDiff = 0;
                for (int i = 0; i < N; i++) {
                    maxExp = Math.max(maxExp, Math.abs(expected[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(expected[i] - got[i]));
                }
                assertTrue(maxDiff <= 1e-5 * maxExp, "eta " + eta + ": max diff " + maxDiff + " of " + maxExp);
            }
        }
    }

    @Test
    void apgRescaleActuallyClampsLargeFrames() {
        // One step, no history: a huge difference is limited to norm 20 per frame before the projection, and the
        // orthogonal part is never longer than that, so |v − v_cond| ≤ scale·20·√T per sample.
        Random r = new Random(3);
        float[] c = random(r, 1.0), u = random(r, 1000.0);
        try (PointerScope scope = new PointerScope(); ApgGuidance apg = ApgGuidance.linum(10)) {
            float[] got = Tensors.toFloats(apg.combine(Tensors.fromFloats(c, B, C, T, H, W), Tensors.fromFloats(u, B, C, T, H, W)));
            int per = N / B;
            for (int b = 0; b < B; b++) {
                double sq = 0;
                for (int i = b * per; i < (b + 1) * per; i++) sq += (got[i] - c[i]) * (got[i] - c[i]);
                assertTrue(Math.sqrt(sq) <= 10 * 20 * Math.sqrt(T) * (1 + 1e-5), "sample norm " + Math.sqrt(sq));
                assertTrue(Math.sqrt(sq) > 10 * 20 * 0.2, "the guidance must still act: " + Math.sqrt(sq));
            }
        }
    }

    @Test
    void cfgIsNullPlusScaledDifference() {
        Random r = new Random(5);
        float[] c = random(r, 1.0), u = random(r, 1.0);
        try (PointerScope scope = new PointerScope(); CfgGuidance cfg = new CfgGuidance(5.0)) {
            float[] got = Tensors.toFloats(cfg.combine(Tensors.fromFloats(c, B, C, T, H, W), Tensors.fromFloats(u, B, C, T, H, W)));
            for (int i = 0; i < N; i++) assertEquals(u[i] + 5.0 * (c[i] - u[i]), got[i], 1e-5);
        }
    }

    @Test
    void kindsParseAndRejectUnknownNames() {
        assertInstanceOf(ApgGuidance.class, Guidance.Kind.parse("APG").create(10));
        assertInstanceOf(CfgGuidance.class, Guidance.Kind.parse("cfg").create(5));
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> Guidance.Kind.parse("pag"));
        assertTrue(e.getMessage().contains("pag"));
    }
}
