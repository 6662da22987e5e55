package dev.zoetrope.models.vae;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * Counts what the convolutions do, from layer and output shapes: FLOPs (2 per multiply-add) for
 * throughput figures, and the largest output tensor, which bounds the activation memory of a pass.
 * Public only so that benchmarks can read the FLOPs of a pass; the layers feed it.
 */
public final class ConvMeter {
    private final DoubleAdder flops = new DoubleAdder();
    private final LongAccumulator largest = new LongAccumulator(Math::max, 0);

    /** A convolution producing {@code outputs} elements, each a dot product of {@code dot} terms. */
    void conv(long outputs, long dot) {
        flops.add(2.0 * outputs * dot);
        largest.accumulate(outputs);
    }

    public double flops() {
        return flops.sum();
    }

    /** Elements of the largest conv output since the last reset. */
    long largestOutput() {
        return largest.get();
    }

    public void reset() {
        flops.reset();
        largest.reset();
    }
}
