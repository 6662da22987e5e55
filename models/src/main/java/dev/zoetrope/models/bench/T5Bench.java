package dev.zoetrope.models.bench;

import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.bench.KernelBench;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;

/**
 * Throughput of the T5 encoder at real (v1.1 XXL) dims with a few random-weight blocks: the seconds of one
 * forward, the matmul TFLOP/s it reaches, and its ratio to the plain matmul rate measured in the same run
 * and dtype.
 */
public final class T5Bench {
    private T5Bench() {}

    /**
     * @param seconds     best forward time over the timed runs
     * @param flops       matmul FLOPs of one forward
     * @param peakTflops  a 2048³ matmul in the same dtype, measured just before
     */
    public record Result(DType dtype, int blocks, int tokens, double seconds, double flops, double peakTflops) {
        public double tflops() {
            return flops / seconds / 1e12;
        }

        public double ratio() {
            return tflops() / peakTflops;
        }

        public String describe() {
            return String.format(Locale.ROOT,
                    "t5 xxl %s, %d block(s), %d tokens: %.3f s, %.1f GFLOP, %.3f TFLOP/s, matmul peak %.3f TFLOP/s, ratio %.0f%%",
                    dtype.code(), blocks, tokens, seconds, flops / 1e9, tflops(), peakTflops, 100 * ratio());
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

    public static Result run(DType dtype, int blocks, int tokens, int runs) {
        if (blocks < 1 || tokens < 1 || runs < 1) throw new IllegalArgumentException("blocks, tokens and runs must be positive");
        if (!dtype.isFloating()) throw new IllegalArgumentException("the T5 bench needs a floating dtype, got " + dtype);
        Engine.init();
        double peak = KernelBench.matmul(dtype, 2048, 3).gflops() / 1e3;
        // A small vocabulary: the embedding lookup costs no FLOPs, and 32k rows would only take memory.
        T5Config config = T5Config.t5v11Xxl().withLayers(blocks).withVocabSize(256);
        try (T5Encoder encoder = T5Encoder.fromParams(config, randomParams(config, dtype));
             PointerScope scope = new PointerScope()) {
            long[] ids = new long[tokens], mask = new long[tokens];
            for (int i = 0; i < tokens; i++) {
                ids[i] = (i * 7919L) % config.vocabSize();
                mask[i] = 1;
            }
            Tensor idTensor = Tensors.fromLongs(ids, 1, tokens), maskTensor = Tensors.fromLongs(mask, 1, tokens);
            double best = Double.MAX_VALUE;
            for (int run = 0; run <= runs; run++) { // run 0 warms up
                try (PointerScope step = new PointerScope()) {
                    long start = System.nanoTime();
                    Tensor out = encoder.forward(idTensor, maskTensor);
                    if (!Double.isFinite(Tensors.maxAbs(out))) throw new IllegalStateException("the T5 bench forward produced non-finite values");
                    double s = (System.nanoTime() - start) / 1e9;
                    if (run > 0) best = Math.min(best, s);
                }
            }
            return new Result(dtype, blocks, tokens, best, matmulFlops(config, tokens), peak);
        }
    }

    /** Weights of the right shapes: normal(0, 0.02) matrices, unit norms, normal(0, 0.5) bias tables; also the initialisation of a text encoder trained from scratch. */
    public static Params randomParams(T5Config c, DType dtype) {
        Params p = Params.empty();
        torch.manual_seed(7);
        int d = c.dModel(), inner = c.innerDim(), ff = c.dFf();
        put(p, "shared.weight", dtype, 1.0, c.vocabSize(), d);
        for (int i = 0; i < c.numLayers(); i++) {
            String attn = "encoder.block." + i + ".layer.0.SelfAttention.";
            String mlp = "encoder.block." + i + ".layer.1.DenseReluDense.";
            for (String w : new String[]{"q", "k", "v"}) put(p, attn + w + ".weight", dtype, 0.02, inner, d);
            put(p, attn + "o.weight", dtype, 0.02, d, inner);
            if (i == 0 || c.perLayerBias()) put(p, attn + "relative_attention_bias.weight", dtype, 0.5, c.numBuckets(), c.numHeads());
            put(p, "encoder.block." + i + ".layer.0.layer_norm.weight", dtype, 0, d);
            put(p, mlp + (c.gated() ? "wi_0.weight" : "wi.weight"), dtype, 0.02, ff, d);
            if (c.gated()) put(p, mlp + "wi_1.weight", dtype, 0.02, ff, d);
            put(p, mlp + "wo.weight", dtype, 0.02, d, ff);
            put(p, "encoder.block." + i + ".layer.1.layer_norm.weight", dtype, 0, d);
        }
        put(p, "encoder.final_layer_norm.weight", dtype, 0, d);
        return p;
    }

    /** A normal(0, std) tensor, or ones when {@code std} is 0. */
    private static void put(Params p, String key, DType dtype, double std, long... shape) {
        try (PointerScope s = new PointerScope()) {
            Tensor t = std == 0 ? torch.ones(shape) : torch.randn(shape).mul(new Scalar(std));
            p.put(key, t.to(dtype.scalarType()));
        }
    }
}
