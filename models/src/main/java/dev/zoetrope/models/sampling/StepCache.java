package dev.zoetrope.models.sampling;

import java.util.Locale;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Scopes;

/**
 * Skips a DiT forward whose input has barely changed since the last one computed, reusing that forward's residual
 * (what the blocks added to the tokens): the idea of TeaCache (Liu et al. 2024, "Timestep Embedding Tells: It's Time
 * to Cache for Video Diffusion Model"). The model shows the cache its first block's timestep-modulated input at
 * each step; the relative L1 change of that input since the previous step is summed, and while the sum stays below
 * the threshold the blocks are skipped. Computing resets the sum. The first and last steps are always computed.
 * Unlike TeaCache the distance is used as measured, without a polynomial fitted per model.
 *
 * <p>One cache serves one sequence of forwards of one sampling run (both guidance branches, when they are one batch).
 */
public final class StepCache implements AutoCloseable {
    /**
     * The threshold {@code --cache auto} stands for, measured on zoetrope-tiny (docs/performance.md, "Step caching"):
     * 0.1 halves the DiT forwards with held-out adherence within two points of uncached sampling; 0.25 skips three in
     * four but loses four points of shape.
     */
    public static final double AUTO = 0.1;

    /** {@code off}, {@code auto} or a threshold above 0: NaN for off. */
    public static double parse(String setting) {
        String s = setting == null ? "" : setting.strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "off", "none", "0" -> Double.NaN;
            case "auto" -> AUTO;
            default -> {
                try {
                    double t = Double.parseDouble(s);
                    if (t > 0 && t < 100) yield t;
                } catch (NumberFormatException e) {
                    // refused below
                }
                throw new InvalidRequestException("--cache must be off, auto or a threshold above 0 (e.g. 0.2), not '" + setting + "'");
            }
        };
    }

    private final double threshold;
    private final int steps;
    private int step;
    private double accumulated;
    private Tensor previous, residual;
    private int computed, skipped;

    /** @param steps the forwards of the run, so that the last is always computed */
    public StepCache(double threshold, int steps) {
        if (!(threshold > 0)) throw new IllegalArgumentException("cache threshold must be above 0, got " + threshold);
        this.threshold = threshold;
        this.steps = steps;
    }

    /**
     * Whether this step may reuse the last residual, given its first block's modulated input {@code probe}; counts the
     * step either way. The caller then adds {@link #residual()}, or computes and hands the new one to {@link #store}.
     */
    public boolean reuse(Tensor probe) {
        // meta tensors carry no values to compare: every step computes there
        boolean edge = step == 0 || step == steps - 1 || residual == null || probe.is_meta();
        if (previous != null && !probe.is_meta()) {
            double change = Scopes.value(() -> probe.sub(previous).abs().mean().item_double()
                    / Math.max(previous.abs().mean().item_double(), 1e-12));
            accumulated += change;
        }
        Scopes.release(previous);
        previous = Scopes.pin(probe.detach().clone());
        step++;
        boolean reuse = !edge && accumulated < threshold;
        if (reuse) skipped++;
        else {
            computed++;
            accumulated = 0;
        }
        return reuse;
    }

    /** What the blocks added to the tokens at the last computed step. */
    public Tensor residual() {
        if (residual == null) throw new IllegalStateException("no step computed yet");
        return residual;
    }

    /** Keeps what the blocks added to the tokens at this step, for the steps that reuse it. */
    public void store(Tensor blocksOutputMinusInput) {
        Scopes.release(residual);
        residual = Scopes.pin(blocksOutputMinusInput.detach());
    }

    /** Forwards whose blocks ran. */
    public int computed() {
        return computed;
    }

    /** Forwards that reused the residual. */
    public int skipped() {
        return skipped;
    }

    public double threshold() {
        return threshold;
    }

    @Override
    public void close() {
        Scopes.release(previous);
        Scopes.release(residual);
        previous = residual = null;
    }
}
