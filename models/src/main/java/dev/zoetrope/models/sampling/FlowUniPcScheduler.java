package dev.zoetrope.models.sampling;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.Ops;

/**
 * UniPC multistep solver for flow matching (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework"),
 * as Wan 2.1 samples: data prediction ({@code x0 = x − σ·v}), B(h) = e^h − 1 ("bh2"), predictor order 2 with
 * ρ = ½, a corrector (UniC) at every step after the first, and order 1 at the final step.
 *
 * <p>With flow sigmas, α = 1 − σ and λ = log α − log σ. A step from s0 = σ_k to t = σ_{k+1} with h = λ_t − λ_s0:
 * <pre>
 *   x_t = (σ_t/σ_s0)·x − α_t·(e^{−h} − 1)·m0 − α_t·B(−h)·Σ ρ_i·D_i,   D_i = (m_i − m0)/r_i,  r_i = (λ_{s_i} − λ_s0)/h
 * </pre>
 * The corrector recomputes the previous step with the new model output included among the differences, ρ from
 * the linear system R·ρ = b with R_ij = r_j^i and b_i = i!·φ_{i+1}(−h)·(−h)/B(−h).
 *
 * <p>Coefficients are computed in double from the float32 sigmas; tensor arithmetic is float32.
 */
public final class FlowUniPcScheduler implements FlowScheduler {
    public static final int DEFAULT_ORDER = 2;
    public static final double WAN_SHIFT = 5.0;

    private final FlowSchedule schedule;
    private final int solverOrder;
    /** Data predictions m of earlier steps, newest last; at most {@code solverOrder}. Pinned. */
    private final Deque<Tensor> history = new ArrayDeque<>();
    /** The sample the last predictor started from (for the corrector). Pinned. */
    private Tensor lastSample;
    private int lastOrder;
    private int lowerOrderCount;
    private int nextStep;

    public FlowUniPcScheduler(FlowSchedule schedule) {
        this(schedule, DEFAULT_ORDER);
    }

    /**
     * The last step always drops to order 1 ("lower_order_final"): its target sigma is 0, where λ is infinite
     * and higher-order differences are undefined.
     */
    public FlowUniPcScheduler(FlowSchedule schedule, int solverOrder) {
        if (solverOrder < 1 || solverOrder > 3)
            throw new IllegalArgumentException("UniPC order must be 1, 2 or 3, not " + solverOrder);
        this.schedule = schedule;
        this.solverOrder = solverOrder;
    }

    /** Wan 2.1's sampler: its schedule with {@code shift}, order 2. */
    public static FlowUniPcScheduler wan(int steps, double shift) {
        return new FlowUniPcScheduler(FlowSchedule.wan(steps, shift, FlowMatchEulerScheduler.TRAIN_STEPS));
    }

    @Override
    public FlowSchedule schedule() {
        return schedule;
    }

    @Override
    public Tensor step(int k, Tensor x, Tensor v) {
        if (k != nextStep)
            throw new IllegalStateException("UniPC steps must be taken in order: expected step " + nextStep + ", got " + k);
        Tensor sample = x.to(ScalarType.Float);
        Tensor m = sample.sub(v.to(ScalarType.Float).mul(Ops.scalar(schedule.sigma(k))));
        if (k > 0 && lastSample != null) sample = correct(k, m, sample);

        history.addLast(Scopes.pin(m));
        while (history.size() > solverOrder) Scopes.release(history.removeFirst());

        int order = Math.min(solverOrder, schedule.steps() - k);
        lastOrder = Math.min(order, lowerOrderCount + 1);
        Scopes.release(lastSample);
        lastSample = Scopes.pin(sample);
        Tensor next = predict(k, sample, lastOrder);
        if (lowerOrderCount < solverOrder) lowerOrderCount++;
        nextStep++;
        return next;
    }

    /** UniP: from σ_k to σ_{k+1} using the newest {@code order} data predictions. */
    private Tensor predict(int k, Tensor x, int order) {
        List<Tensor> ms = newestFirst();
        Tensor m0 = ms.getFirst();
        Step s = new Step(schedule.sigma(k + 1), schedule.sigma(k));
        Tensor base = s.base(x, m0);
        if (order == 1) return base;
        double[] r = new double[order - 1];
        List<Tensor> d = new ArrayList<>();
        for (int i = 1; i < order; i++) {
            r[i - 1] = (lambda(schedule.sigma(k - i)) - s.lambdaS0) / s.h;
            d.add(ms.get(i).sub(m0).div(Ops.scalar(r[i - 1])));
        }
        double[] rho = order == 2 ? new double[]{0.5} : solve(matrix(r, false), s.b(order - 1));
        return base.sub(weighted(d, rho, order - 1).mul(Ops.scalar(s.alphaT * s.bh)));
    }

    /** UniC: redoes the step σ_{k−1} → σ_k with the fresh prediction {@code mT} included. */
    private Tensor correct(int k, Tensor mT, Tensor current) {
        int order = lastOrder;
        List<Tensor> ms = newestFirst();
        Tensor m0 = ms.getFirst();
        Step s = new Step(schedule.sigma(k), schedule.sigma(k - 1));
        Tensor base = s.base(lastSample, m0);
        double[] r = new double[order - 1];
        List<Tensor> d = new ArrayList<>();
        for (int i = 1; i < order; i++) {
            r[i - 1] = (lambda(schedule.sigma(k - 1 - i)) - s.lambdaS0) / s.h;
            d.add(ms.get(i).sub(m0).div(Ops.scalar(r[i - 1])));
        }
        double[] rho = order == 1 ? new double[]{0.5} : solve(matrix(r, true), s.b(order));
        Tensor res = mT.sub(m0).mul(Ops.scalar(rho[order - 1]));
        if (order > 1) res = res.add(weighted(d, rho, order - 1));
        return base.sub(res.mul(Ops.scalar(s.alphaT * s.bh)));
    }

    /** The coefficients of one step from σ_s0 to σ_t in λ = log((1−σ)/σ) time, with hh = −h (data prediction). */
    private static final class Step {
        final double sigmaT, sigmaS0, alphaT, lambdaS0, h, hh, hPhi1, bh;

        Step(double sigmaT, double sigmaS0) {
            this.sigmaT = sigmaT;
            this.sigmaS0 = sigmaS0;
            this.alphaT = 1 - sigmaT;
            this.lambdaS0 = lambda(sigmaS0);
            this.h = lambda(sigmaT) - lambdaS0;
            this.hh = -h;
            this.hPhi1 = Math.expm1(hh);
            this.bh = Math.expm1(hh);
        }

        /** The first-order part: (σ_t/σ_s0)·x − α_t·(e^{−h}−1)·m0. At σ_t = 0 this is m0. */
        Tensor base(Tensor x, Tensor m0) {
            return x.mul(Ops.scalar(sigmaT / sigmaS0)).sub(m0.mul(Ops.scalar(alphaT * hPhi1)));
        }

        /** b_i = i!·h·φ_{i+1}(hh)/B(h) for i = 1..n, via the recurrence hφ_{k+1} = hφ_k/hh − 1/k!. */
        double[] b(int n) {
            double[] b = new double[n];
            double hPhiK = hPhi1 / hh - 1;
            double factorial = 1;
            for (int i = 1; i <= n; i++) {
                b[i - 1] = hPhiK * factorial / bh;
                factorial *= i + 1;
                hPhiK = hPhiK / hh - 1 / factorial;
            }
            return b;
        }
    }

    static double lambda(double sigma) {
        return Math.log(1 - sigma) - Math.log(sigma);
    }

    /** R_ij = r_j^i over the ratios r (plus r = 1 for the newest point when {@code withOne}). */
    private static double[][] matrix(double[] r, boolean withOne) {
        int n = r.length + (withOne ? 1 : 0);
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) m[i][j] = Math.pow(j < r.length ? r[j] : 1.0, i);
        return m;
    }

    /** Gaussian elimination with partial pivoting; the systems here are at most 3×3. */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        double[] y = b.clone();
        for (int i = 0; i < n; i++) m[i] = a[i].clone();
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int i = c + 1; i < n; i++) if (Math.abs(m[i][c]) > Math.abs(m[p][c])) p = i;
            double[] tr = m[c]; m[c] = m[p]; m[p] = tr;
            double ty = y[c]; y[c] = y[p]; y[p] = ty;
            for (int i = c + 1; i < n; i++) {
                double f = m[i][c] / m[c][c];
                for (int j = c; j < n; j++) m[i][j] -= f * m[c][j];
                y[i] -= f * y[c];
            }
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int j = i + 1; j < n; j++) s -= m[i][j] * x[j];
            x[i] = s / m[i][i];
        }
        return x;
    }

    private static Tensor weighted(List<Tensor> d, double[] rho, int n) {
        Tensor sum = d.getFirst().mul(Ops.scalar(rho[0]));
        for (int i = 1; i < n; i++) sum = sum.add(d.get(i).mul(Ops.scalar(rho[i])));
        return sum;
    }

    private List<Tensor> newestFirst() {
        List<Tensor> out = new ArrayList<>(history.size());
        for (Iterator<Tensor> it = history.descendingIterator(); it.hasNext(); ) out.add(it.next());
        return out;
    }

    @Override
    public void close() {
        while (!history.isEmpty()) Scopes.release(history.removeFirst());
        Scopes.release(lastSample);
        lastSample = null;
    }
}
