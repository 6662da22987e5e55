package dev.zoetrope.models.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.bench.KernelBench;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Devices;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.Ops;

/**
 * DiT forward throughput at real Linum v2 dims (dim 1664, ffn 8192, 13 heads, text 256×4096) with a few
 * random blocks, at a given latent size (default 360p 2 s: 16×13×45×80, padded to 46 rows, so
 * 13×23×40 = 11,960 tokens). Reports seconds per forward, achieved TFLOP/s (matmuls and attention) and the
 * ratio to the bf16 matmul rate measured in the same run.
 */
public final class DitBench {
    private DitBench() {}

    /**
     * @param blocks  transformer blocks (the real model has 40)
     * @param dtype   weight and matmul dtype
     * @param runs    timed forwards; the best is reported
     * @param warmup  untimed forwards first (attention calibration always happens before timing)
     */
    public record Options(int blocks, DType dtype, int batch, int frames, int height, int width, int runs, int warmup,
                          Attention.Options attention) {
        public Options {
            // the bench's options come straight from the command line
            if (blocks < 1 || blocks > 40) throw new InvalidRequestException("blocks must be 1..40, not " + blocks);
            if (dtype != DType.BF16 && dtype != DType.F32) throw new InvalidRequestException("dtype must be bf16 or f32, not " + dtype);
            if (batch < 1 || frames < 1 || height < 1 || width < 1) throw new InvalidRequestException("sizes must be positive");
            if (runs < 1 || warmup < 0) throw new InvalidRequestException("runs must be ≥ 1 and warmup ≥ 0");
        }

        /** 1 block, bf16, batch 1, 360p 2 s latents, 1 run, no warm-up. */
        public static Options defaults() {
            return new Options(1, DType.BF16, 1, 13, 45, 80, 1, 0, Attention.Options.defaults());
        }
    }

    /**
     * @param device     where the forward ran, read from its output
     * @param cpuSeconds CPU time of the process during the best forward (all threads), and {@code cpuRatioToPeak} the
     *                   forward's FLOPs per CPU second over the bf16 matmul's: on a machine shared with other work, wall
     *                   times move with the load while the CPU time a forward needs barely does
     */
    public record Report(Options options, String device, long tokens, double flops, double seconds, double tflops,
                         double matmulPeakGflops, double ratioToPeak, String attentionKernels, double cpuSeconds,
                         double cpuRatioToPeak) {
        public String describe() {
            return String.format(Locale.ROOT,
                    "dit %s on %s, %d block(s), batch %d, %d tokens: %.2f s per forward, %.1f GFLOP, %.3f TFLOP/s; "
                            + "bf16 matmul peak %.1f GFLOP/s; ratio %.0f%%; CPU %.2f s, ratio per CPU second %.0f%%; attention %s",
                    options.dtype().code(), device, options.blocks(), options.batch(), tokens, seconds, flops / 1e9, tflops,
                    matmulPeakGflops, 100 * ratioToPeak, cpuSeconds, 100 * cpuRatioToPeak, attentionKernels);
        }
    }

    /** Measures on {@code device} (resolved). */
    public static Report run(Options o, ComputeDevice device, PrintStream log) {
        return run(o, device.target(), log);
    }

    /**
     * Measures with the model built on {@code device} (null: the CPU) and its inputs moved there; the matmul peak is the
     * device's, and every timing waits for the device's kernels.
     */
    static Report run(Options o, Device device, PrintStream log) {
        return run(o, ModelFamily.LINUM.dit(), device, log);
    }

    /** The same with the blocks of {@code base} (its sizes; the number of blocks comes from the options). */
    static Report run(Options o, DitConfig base, Device device, PrintStream log) {
        Engine.init();
        double cpu0 = KernelBench.processCpuSeconds();
        KernelBench.Result peak = KernelBench.matmul(DType.BF16, 2048, 3, device);
        // 2 warm-up and 3 timed matmuls: FLOPs per CPU second of the whole measurement
        double peakPerCpuSecond = 5 * 2.0 * 2048 * 2048 * 2048 / (KernelBench.processCpuSeconds() - cpu0) / 1e9;
        log.printf(Locale.ROOT, "bf16 matmul 2048^3: %.1f GFLOP/s, %.1f GFLOP per CPU second%n", peak.gflops(), peakPerCpuSecond);
        DitConfig config = base.withNumLayers(o.blocks());
        DitConfig.PatchSize ps = config.patchSize();
        long tokens = (long) (o.frames() / ps.t()) * ((o.height() + ps.h() - 1) / ps.h()) * ((o.width() + ps.w() - 1) / ps.w());
        double flops = DiffusionTransformer.forwardFlops(config, o.batch(), o.frames(), o.height(), o.width());
        try (DiffusionTransformer model = DiffusionTransformer.random(config, o.dtype(), 1, o.attention(), device);
             PointerScope scope = new PointerScope()) {
            torch.manual_seed(2);
            Tensor x = model.onDevice(torch.randn(o.batch(), config.inDim(), o.frames(), o.height(), o.width()));
            double[] t = new double[o.batch()];
            java.util.Arrays.fill(t, 500.0);
            Tensor[] text = new Tensor[o.batch()];
            for (int b = 0; b < o.batch(); b++)
                text[b] = model.onDevice(torch.randn(config.textLen(), config.textDim()).mul(Ops.scalar(0.1)));
            // the kernel choice is measured once per shape class; keep that out of the timing
            Attention a = model.attention();
            Attention.Kernel self = a.kernelFor(device, o.dtype(), config.numHeads(), config.headDim(), tokens, tokens);
            Attention.Kernel cross = a.kernelFor(device, o.dtype(), config.numHeads(), config.headDim(), tokens, config.textLen());
            String kernels = "self " + self + ", cross " + cross;
            log.println("attention kernels: " + kernels);
            for (int i = 0; i < o.warmup(); i++) {
                try (PointerScope s = new PointerScope()) {
                    model.forward(x, t, List.of(text), null);
                }
            }
            Devices.synchronize(device);
            double best = Double.MAX_VALUE, bestCpu = 0;
            String ranOn = null;
            for (int i = 0; i < o.runs(); i++) {
                try (PointerScope s = new PointerScope()) {
                    long t0 = System.nanoTime();
                    double c0 = KernelBench.processCpuSeconds();
                    Tensor v = model.forward(x, t, List.of(text), null);
                    Devices.synchronize(device);
                    double sec = (System.nanoTime() - t0) / 1e9, cpu = KernelBench.processCpuSeconds() - c0;
                    ranOn = v.device().str().getString();
                    log.printf(Locale.ROOT, "forward %d/%d: %.2f s (%.1f GFLOP/s), CPU %.2f s%n", i + 1, o.runs(), sec, flops / sec / 1e9, cpu);
                    if (sec < best) {
                        best = sec;
                        bestCpu = cpu;
                    }
                }
            }
            double tflops = flops / best / 1e12;
            double cpuRatio = bestCpu > 0 ? flops / bestCpu / 1e9 / peakPerCpuSecond : 0;
            return new Report(o, ranOn, tokens, flops, best, tflops, peak.gflops(), tflops * 1e3 / peak.gflops(), kernels, bestCpu, cpuRatio);
        }
    }
}
