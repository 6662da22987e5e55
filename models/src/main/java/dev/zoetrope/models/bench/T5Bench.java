package dev.zoetrope.models.bench;

import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.bench.KernelBench;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Devices;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;

/**
 * Throughput of the T5 encoder at real (v1.1 XXL) dims with a few random-weight blocks: the seconds of one
 * forward, the matmul TFLOP/s it reaches, and its ratio to the plain matmul rate measured in the same run,
 * dtype and device.
 */
public final class T5Bench {
    private T5Bench() {}

    /**
     * @param device      where the forward ran, read from its output
     * @param seconds     best forward time over the timed runs
     * @param flops       matmul FLOPs of one forward
     * @param peakTflops  a 2048³ matmul in the same dtype on the same device, measured just before
     */
    public record Result(DType dtype, String device, int blocks, int tokens, double seconds, double flops, double peakTflops) {
        public double tflops() {
            return flops / seconds / 1e12;
        }

        public double ratio() {
            return tflops() / peakTflops;
        }

        public String describe() {
            return String.format(Locale.ROOT,
                    "t5 xxl %s on %s, %d block(s), %d tokens: %.3f s, %.1f GFLOP, %.3f TFLOP/s, matmul peak %.3f TFLOP/s, ratio %.0f%%",
                    dtype.code(), device, blocks, tokens, seconds, flops / 1e9, tflops(), peakTflops, 100 * ratio());
        }
    }

    /**
     * Matmul FLOPs of one forward over one sequence: per block the q, k, v, o projections, the score and
     * value products of attention, and the feed-forward (two input projections when gated, one output).
     */
    public static double matmulFlops(T5Config c, int tokens) {
        double l = tokens, d = c.dModel(), inner = c.innerDim();
        double projections = 4 * 2 * l * d * inner;
        double attention = 2 * 2 * l * l * inner;
        double feedForward = (c.gated() ? 3 : 2) * 2 * l * d * c.dFf();
        return c.numLayers() * (projections + attention + feedForward);
    }

    /** Measures on {@code device} (resolved). */
    public static Result run(DType dtype, int blocks, int tokens, int runs, ComputeDevice device) {
        return run(dtype, blocks, tokens, runs, device.target());
    }

    /**
     * Measures with the encoder built on {@code device} (null: the CPU) and its inputs moved there; the matmul peak is
     * the device's, and every timing waits for the device's kernels.
     */
    static Result run(DType dtype, int blocks, int tokens, int runs, Device device) {
        if (blocks < 1 || tokens < 1 || runs < 1) throw new IllegalArgumentException("blocks, tokens and runs must be positive");
        if (!dtype.isFloating()) throw new IllegalArgumentException("the T5 bench needs a floating dtype, got " + dtype);
        Engine.init();
        double peak = KernelBench.matmul(dtype, 2048, 3, device).gflops() / 1e3;
        // A small vocabulary: the embedding lookup costs no FLOPs, and 32k rows would only take memory.
        T5Config config = T5Config.t5v11Xxl().withLayers(blocks).withVocabSize(256);
        try (T5Encoder encoder = T5Encoder.random(config, 0.02, 7, dtype, false, device);
             PointerScope scope = new PointerScope()) {
            long[] ids = new long[tokens], mask = new long[tokens];
            for (int i = 0; i < tokens; i++) {
                ids[i] = (i * 7919L) % config.vocabSize();
                mask[i] = 1;
            }
            Tensor idTensor = Ops.toDevice(Tensors.fromLongs(ids, 1, tokens), device);
            Tensor maskTensor = Ops.toDevice(Tensors.fromLongs(mask, 1, tokens), device);
            double best = Double.MAX_VALUE;
            String ranOn = null;
            for (int run = 0; run <= runs; run++) { // run 0 warms up
                try (PointerScope step = new PointerScope()) {
                    long start = System.nanoTime();
                    Tensor out = encoder.forward(idTensor, maskTensor);
                    Devices.synchronize(device);
                    double s = (System.nanoTime() - start) / 1e9;
                    // meta tensors hold no values to check
                    if (!out.is_meta() && !Double.isFinite(Tensors.maxAbs(out)))
                        throw new IllegalStateException("the T5 bench forward produced non-finite values");
                    ranOn = out.device().str().getString();
                    if (run > 0) best = Math.min(best, s);
                }
            }
            return new Result(dtype, ranOn, blocks, tokens, best, matmulFlops(config, tokens), peak);
        }
    }
}
