package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;

/**
 * Combines the conditional and unconditional velocities of one step into the guided velocity. Stateful
 * guidances (APG's momentum) serve one sampling run and must see the steps in order.
 */
public sealed interface Guidance extends AutoCloseable permits ApgGuidance, CfgGuidance {
    /** Both inputs are (B, C, T, H, W) velocities; returns a new float32 tensor. */
    Tensor combine(Tensor cond, Tensor uncond);

    double scale();

    /**
     * Whether the null prediction changes the result at this scale. When it does not (APG at 0, CFG at 1), a step
     * needs only the conditional forward: a guidance-distilled model samples with one forward per step.
     */
    boolean needsUncond();

    @Override
    void close();

    /** The guidances by name, for configuration and the CLI. */
    enum Kind {
        APG, CFG;

        public static Kind parse(String name) {
            return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "apg" -> APG;
                case "cfg" -> CFG;
                default -> throw new InvalidRequestException("unknown guidance '" + name + "'; use apg or cfg");
            };
        }

        public Guidance create(double scale) {
            return create(scale, Double.NaN);
        }

        /** @param apgRescale APG's per-frame norm bound (0 turns it off), or NaN for Linum's; CFG has none */
        public Guidance create(double scale, double apgRescale) {
            return switch (this) {
                case APG -> Double.isNaN(apgRescale) ? ApgGuidance.linum(scale)
                        : new ApgGuidance(scale, ApgGuidance.LINUM_MOMENTUM, apgRescale, ApgGuidance.LINUM_ETA);
                case CFG -> new CfgGuidance(scale);
            };
        }
    }
}
