package dev.zoetrope.models.bench;

import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.bench.KernelBench;
import dev.zoetrope.core.bench.ProcessMemory;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.engine.Devices;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.models.vae.SpatialTiling;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * Throughput of the chunked VAE decode at real dims with random weights, next to the matmul peak
 * measured in the same run on the same device. FLOPs are the convolutions' multiply-adds (×2), counted from layer shapes.
 */
public final class VaeDecodeBench {
    private VaeDecodeBench() {}

    /**
     * What to decode: 360p 2 s is a 16 × 13 × 45 × 80 latent at base dim 96; {@code tiling} may be null; {@code dtype} is
     * what the convolutions compute in (f32 or bf16).
     */
    public record Setup(int baseDim, int latentFrames, int latentHeight, int latentWidth, SpatialTiling tiling,
                        int matmulSize, int matmulRuns, DType dtype) {
        public Setup {
            if (baseDim < 1 || latentFrames < 1 || latentHeight < 1 || latentWidth < 1 || matmulSize < 1 || matmulRuns < 1)
                throw new IllegalArgumentException("all bench sizes must be positive");
            if (dtype != DType.F32 && dtype != DType.BF16) throw new IllegalArgumentException("the decode bench runs f32 or bf16, not " + dtype);
        }

        public Setup(int baseDim, int latentFrames, int latentHeight, int latentWidth, SpatialTiling tiling, int matmulSize, int matmulRuns) {
            this(baseDim, latentFrames, latentHeight, latentWidth, tiling, matmulSize, matmulRuns, DType.F32);
        }

        public static Setup p360TwoSeconds() {
            return new Setup(96, 13, 45, 80, null, 2048, 3);
        }

        public Setup withDtype(DType d) {
            return new Setup(baseDim, latentFrames, latentHeight, latentWidth, tiling, matmulSize, matmulRuns, d);
        }
    }

    /**
     * @param device            where the decode ran, read from its output
     * @param peakResidentBytes the process's peak resident memory after the run (Linux), or -1
     * @param psnrAgainstF32    a bf16 decode's first latent frames against a float32 decode of them with the same weights,
     *                          in dB over the float32 output's range; NaN for a float32 run
     */
    public record Result(Setup setup, String device, int videoFrames, double seconds, double convFlops,
                         KernelBench.Result matmulF32, KernelBench.Result matmulBf16, long peakResidentBytes, double psnrAgainstF32) {
        public double tflops() {
            return convFlops / seconds / 1e12;
        }

        /** Achieved rate over a measured matmul rate. */
        public double ratioTo(KernelBench.Result peak) {
            return tflops() * 1e3 / peak.gflops();
        }

        public String report() {
            Setup s = setup;
            return String.format(Locale.ROOT, """
                    vae-decode on %s: base dim %d, latent 16x%dx%dx%d -> %d frames of %dx%d, %s, one latent frame at a time%s
                      time           %.2f s (%.2f s per output frame)
                      conv FLOPs     %.3f TFLOP
                      achieved       %.4f TFLOP/s
                      matmul f32     %.4f TFLOP/s  -> decode at %.0f%% of it
                      matmul bf16    %.4f TFLOP/s  -> decode at %.0f%% of it
                      peak memory    %s (process resident set)%s""",
                    device, s.baseDim, s.latentFrames, s.latentHeight, s.latentWidth, videoFrames, s.latentHeight * 8, s.latentWidth * 8,
                    s.dtype.code(), s.tiling == null ? "" : String.format(Locale.ROOT, ", tiles %dx%d overlap %d (latent px)",
                            s.tiling.tileHeight(), s.tiling.tileWidth(), s.tiling.overlap()),
                    seconds, seconds / videoFrames, convFlops / 1e12, tflops(),
                    matmulF32.gflops() / 1e3, 100 * ratioTo(matmulF32), matmulBf16.gflops() / 1e3, 100 * ratioTo(matmulBf16),
                    peakResidentBytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f GB", peakResidentBytes / 1e9),
                    Double.isNaN(psnrAgainstF32) ? "" : String.format(Locale.ROOT,
                            "%n  against f32    %.1f dB PSNR over the first %d latent frames (same weights, decoded in float32)",
                            psnrAgainstF32, Math.min(ACCURACY_FRAMES, s.latentFrames)));
        }
    }

    /** Measures on {@code device} (resolved). */
    public static Result run(Setup s, ComputeDevice device, boolean progress) {
        return run(s, device.target(), progress);
    }

    /**
     * Measures with the VAE built on {@code device} (null: the CPU) and the latent moved there; the matmul peaks are the
     * device's, and the timing waits for the device's kernels.
     */
    static Result run(Setup s, Device device, boolean progress) {
        Engine.init();
        KernelBench.Result f32 = KernelBench.matmul(DType.F32, s.matmulSize(), s.matmulRuns(), device);
        KernelBench.Result bf16 = KernelBench.matmul(DType.BF16, s.matmulSize(), s.matmulRuns(), device);
        WanVaeConfig config = WanVaeConfig.wan21().withBaseDim(s.baseDim());
        try (WanVae vae = WanVae.random(config, 1, device, s.dtype()); PointerScope scope = new PointerScope()) {
            torch.manual_seed(2);
            Tensor z = vae.onDevice(torch.randn(1, config.zDim(), s.latentFrames(), s.latentHeight(), s.latentWidth()));
            int frames = 1 + config.temporalFactor() * (s.latentFrames() - 1);
            String[] ranOn = new String[1];
            vae.meter().reset();
            Devices.synchronize(device);
            long t0 = System.nanoTime();
            try (ProgressBar bar = progress ? new ProgressBar("vae decode", s.latentFrames(), "latent frames")
                    : ProgressBar.silent(s.latentFrames(), null)) {
                vae.decode(z, s.tiling(), (chunk, first) -> {
                    ranOn[0] = chunk.device().str().getString();
                    bar.step();
                });
            }
            Devices.synchronize(device);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double flops = vae.meter().flops();
            long peak = ProcessMemory.peak();
            double psnr = s.dtype() == DType.F32 ? Double.NaN : psnrAgainstF32(vae, config, z, s.tiling(), device);
            return new Result(s, ranOn[0], frames, seconds, flops, f32, bf16, peak, psnr);
        }
    }

    /** Latent frames of the accuracy check: the first frame and one group of four. */
    static final int ACCURACY_FRAMES = 2;

    /** {@code vae}'s decode of the first latent frames of {@code z} against a float32 VAE with the same weights. */
    private static double psnrAgainstF32(WanVae vae, WanVaeConfig config, Tensor z, SpatialTiling tiling, Device device) {
        try (WanVae reference = WanVae.random(config, 1, device); PointerScope scope = new PointerScope()) {
            Tensor head = z.narrow(2, 0, Math.min(ACCURACY_FRAMES, z.size(2)));
            return Tensors.psnr(reference.decode(head, tiling), vae.decode(head, tiling));
        }
    }
}
