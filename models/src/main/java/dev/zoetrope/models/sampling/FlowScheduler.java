package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;

/**
 * A flow-matching ODE solver over a {@link FlowSchedule}. One instance serves one sampling run: multistep
 * solvers keep a history between calls, so steps must be taken in order k = 0, 1, ..., n−1.
 */
public sealed interface FlowScheduler extends AutoCloseable permits FlowMatchEulerScheduler, FlowUniPcScheduler {
    FlowSchedule schedule();

    /**
     * Moves {@code x} from sigma(k) to sigma(k+1) given the (guided) velocity {@code v = noise − data} predicted
     * at step k. Returns a new tensor; the inputs are not modified.
     */
    Tensor step(int k, Tensor x, Tensor v);

    /** Frees the solver's history. */
    @Override
    void close();

    /** The solvers by name, for configuration and the CLI. */
    enum Kind {
        EULER, UNIPC;

        public static Kind parse(String name) {
            return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "euler" -> EULER;
                case "unipc", "flow-unipc", "flowunipc" -> UNIPC;
                // Wan's generate.py offers it beside unipc; say so rather than "unknown"
                case "dpm++", "dpmpp", "dpm-solver++" -> throw new InvalidRequestException("sampler '" + name
                        + "' (Wan's DPM-Solver++) is not implemented here; use unipc (Wan's default) or euler");
                default -> throw new InvalidRequestException("unknown sampler '" + name + "'; use euler or unipc");
            };
        }

        public FlowScheduler create(FlowSchedule schedule) {
            return switch (this) {
                case EULER -> new FlowMatchEulerScheduler(schedule);
                case UNIPC -> new FlowUniPcScheduler(schedule);
            };
        }
    }
}
