package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.Ops;

/**
 * Adaptive projected guidance (Sadat et al. 2024), as Linum v2 samples:
 * <ol>
 *   <li>{@code d = v_cond − v_null};</li>
 *   <li>momentum: {@code buf = d + momentum·buf} (buf starts at 0), then {@code d = buf};</li>
 *   <li>per (batch, latent frame): {@code d ← d·min(1, rescale/‖d‖)} with the norm over (C, H, W);</li>
 *   <li>in float64, per sample over (C, T, H, W): {@code u = v_cond/‖v_cond‖}, {@code par = (d·u)·u},
 *       {@code orth = d − par};</li>
 *   <li>{@code v = v_cond + scale·(orth + eta·par)}.</li>
 * </ol>
 */
public final class ApgGuidance implements Guidance {
    public static final double LINUM_MOMENTUM = -0.75;
    public static final double LINUM_RESCALE = 20.0;
    public static final double LINUM_ETA = 0.0;
    private static final long[] FRAME_DIMS = {1, 3, 4};
    private static final long[] SAMPLE_DIMS = {1, 2, 3, 4};

    private final double scale;
    private final double momentum;
    private final double rescale;
    private final double eta;
    private Tensor buffer;

    public ApgGuidance(double scale, double momentum, double rescale, double eta) {
        this.scale = scale;
        this.momentum = momentum;
        this.rescale = rescale;
        this.eta = eta;
    }

    /** Linum v2's settings: momentum −0.75, rescale 20, eta 0. */
    public static ApgGuidance linum(double scale) {
        return new ApgGuidance(scale, LINUM_MOMENTUM, LINUM_RESCALE, LINUM_ETA);
    }

    @Override
    public double scale() {
        return scale;
    }

    /** {@code v_cond + scale·(…)}: at scale 0 the null prediction does not count. */
    @Override
    public boolean needsUncond() {
        return scale != 0;
    }

    @Override
    public Tensor combine(Tensor cond, Tensor uncond) {
        if (cond.dim() != 5) throw new IllegalArgumentException("APG expects (B, C, T, H, W) velocities, got " + cond.dim() + " dims");
        Tensor c = cond.to(ScalarType.Float);
        Tensor d = c.sub(uncond.to(ScalarType.Float));
        if (momentum != 0) d = accumulate(d);
        if (rescale > 0) {
            Tensor norm = torch.linalg_vector_norm(d, Ops.scalar(2.0), FRAME_DIMS, true, new ScalarTypeOptional());
            d = d.mul(torch.clamp_max(norm.reciprocal().mul(Ops.scalar(rescale)), Ops.scalar(1.0)));
        }
        Tensor d64 = d.to(ScalarType.Double);
        Tensor c64 = c.to(ScalarType.Double);
        Tensor cNorm = torch.linalg_vector_norm(c64, Ops.scalar(2.0), SAMPLE_DIMS, true, new ScalarTypeOptional());
        Tensor u = c64.div(torch.clamp_min(cNorm, Ops.scalar(1e-12)));
        Tensor par = d64.mul(u).sum(SAMPLE_DIMS, true, new ScalarTypeOptional()).mul(u);
        Tensor orth = d64.sub(par);
        Tensor update = (eta == 0 ? orth : orth.add(par.mul(Ops.scalar(eta)))).to(ScalarType.Float);
        return c.add(update.mul(Ops.scalar(scale)));
    }

    /** {@code buf = d + momentum·buf}; the buffer outlives the step's scope until the next step or close. */
    private Tensor accumulate(Tensor d) {
        Tensor next = buffer == null ? d : d.add(buffer.mul(Ops.scalar(momentum)));
        Scopes.release(buffer);
        buffer = Scopes.pin(next);
        return next;
    }

    @Override
    public void close() {
        Scopes.release(buffer);
        buffer = null;
    }
}
