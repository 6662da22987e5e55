package dev.zoetrope.models.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.bytedeco.pytorch.Device;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.pipeline.VaeDecoder;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * The predicted wall time of one whole clip on this machine, from measured parts: each part (text encoding, one
 * denoising step, the VAE decode) is run at the clip's real sizes but cut short (2 text-encoder blocks, 1 DiT block,
 * the first latent frame), its rate in FLOP/s is taken from that run, and the whole part's FLOPs, counted from the
 * model's shapes, are divided by that rate. The denoising loop is {@code steps} forwards of every block (batch 2 with
 * batched guidance, else two batch-1 forwards). Work outside the three parts (loading weights, sampling arithmetic,
 * encoding the video) is not counted.
 */
public final class GenerationEstimate {
    private GenerationEstimate() {}

    static final int TEXT_BLOCKS = 2;
    static final Device META = new Device("meta");

    /**
     * @param frames        output frames (1 + temporal factor × (latent frames − 1))
     * @param batchGuidance one batch-2 forward per step (cond and null together), else two batch-1 forwards
     */
    public record Setup(String name, DitConfig dit, T5Config text, int textTokens, WanVaeConfig vae, int width, int height,
                        int frames, int steps, boolean batchGuidance, DType dtype) {
        public Setup {
            if (steps < 1) throw new IllegalArgumentException("steps must be positive, not " + steps);
            vae.requireFits(width, height, frames);
        }

        int latentFrames() {
            return vae.latentFrames(frames);
        }

        int latentHeight() {
            return height / vae.spatialFactor();
        }

        int latentWidth() {
            return width / vae.spatialFactor();
        }
    }

    /**
     * One part: what was run ({@code measured}, its FLOPs and seconds) and what the whole part is predicted to take.
     *
     * @param times how often the whole part runs in one clip (the steps for the DiT)
     */
    public record Part(String name, String measured, double measuredFlops, double measuredSeconds, double flops, int times) {
        public double gflops() {
            return measuredFlops / measuredSeconds / 1e9;
        }

        /** Predicted seconds of all {@code times} runs of the whole part. */
        public double seconds() {
            return times * flops / (measuredFlops / measuredSeconds);
        }
    }

    /** @param matmulGflops the bf16 2048³ matmul rate measured in the same run; {@code loadAverage} the 1-minute load then */
    public record Estimate(Setup setup, List<Part> parts, double matmulGflops, int threads, String loadAverage) {
        public double seconds() {
            return parts.stream().mapToDouble(Part::seconds).sum();
        }

        public String report() {
            Setup s = setup;
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                    "estimate for %s: %dx%d, %d frames (latent %dx%dx%d), %d steps, guidance %s, %s, %d thread(s), load average %s%n",
                    s.name(), s.width(), s.height(), s.frames(), s.latentFrames(), s.latentHeight(), s.latentWidth(), s.steps(),
                    s.batchGuidance() ? "batched (B=2)" : "one by one (2 x B=1)", s.dtype().code(), threads, loadAverage));
            b.append(String.format(Locale.ROOT, "  bf16 matmul 2048^3 in this run: %.1f GFLOP/s%n", matmulGflops));
            for (Part p : parts)
                b.append(String.format(Locale.ROOT, "  %-12s %10s  (%s: %.1f GFLOP in %.2f s, %.1f GFLOP/s; whole part %.3f TFLOP x %d)%n",
                        p.name(), duration(p.seconds()), p.measured(), p.measuredFlops() / 1e9, p.measuredSeconds(), p.gflops(),
                        p.flops() / 1e12, p.times()));
            b.append(String.format(Locale.ROOT, "  %-12s %10s%n", "total", duration(seconds())));
            return b.toString();
        }
    }

    /** Measures the parts on the CPU (a minute or two at real sizes) and predicts the clip. */
    public static Estimate run(Setup s, PrintStream log) {
        Engine.init();
        int lf = s.latentFrames(), lh = s.latentHeight(), lw = s.latentWidth();
        // text encoder: a few blocks at the real width and prompt length
        log.println("measuring the text encoder (" + TEXT_BLOCKS + " blocks, " + s.textTokens() + " tokens) ...");
        T5Bench.Result text = T5Bench.run(s.dtype(), TEXT_BLOCKS, s.textTokens(), 1, (Device) null);
        Part textPart = new Part("text", TEXT_BLOCKS + " blocks", text.flops(), text.seconds(), T5Bench.matmulFlops(s.text(), s.textTokens()), 1);
        // DiT: one block at the clip's latent size and guidance batch
        int batch = s.batchGuidance() ? 2 : 1;
        log.println("measuring one DiT block at batch " + batch + " ...");
        DitBench.Report dit = DitBench.run(new DitBench.Options(1, s.dtype(), batch, lf, lh, lw, 1, 0, Attention.Options.defaults()),
                s.dit(), null, log);
        double stepFlops = DiffusionTransformer.forwardFlops(s.dit(), batch, lf, lh, lw) * (s.batchGuidance() ? 1 : 2);
        Part ditPart = new Part("denoise", "1 block", dit.flops(), dit.seconds(), stepFlops, s.steps());
        // VAE: the first latent frame for the rate; the whole decode's FLOPs from a pass on meta, which only has shapes
        log.println("measuring the VAE decode of one latent frame ...");
        VaeDecodeBench.Result vae = VaeDecodeBench.run(new VaeDecodeBench.Setup(s.vae().baseDim(), 1, lh, lw, VaeDecoder.DEFAULT_TILING, 64, 1),
                (Device) null, false);
        double vaeFlops = VaeDecodeBench.run(new VaeDecodeBench.Setup(s.vae().baseDim(), lf, lh, lw, VaeDecoder.DEFAULT_TILING, 64, 1),
                META, false).convFlops();
        Part vaePart = new Part("decode", "1 latent frame", vae.convFlops(), vae.seconds(), vaeFlops, 1);
        return new Estimate(s, List.of(textPart, ditPart, vaePart), dit.matmulPeakGflops(), Engine.init().threads(), loadAverage());
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return String.format(Locale.ROOT, "%.1f s", seconds);
        if (s < 3600) return String.format(Locale.ROOT, "%d:%02d min", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d:%02d:%02d h", s / 3600, s / 60 % 60, s % 60);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "n/a";
        }
    }
}
