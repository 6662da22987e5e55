package dev.zoetrope.models.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.bench.ProcessMemory;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.pipeline.MemoryPlan;
import dev.zoetrope.models.pipeline.Offload;
import dev.zoetrope.models.pipeline.VaeDecoder;
import dev.zoetrope.models.sampling.NoiseGenerator;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * The memory plan's activation figures next to what a real pass takes on the CPU: the peak resident set (VmHWM, reset
 * just before the pass) over the resident set before it. Each measurement runs in a fresh JVM with glibc's mmap
 * threshold fixed at 128 KiB, so every tensor but the smallest is mapped on allocation and unmapped on free and the
 * resident set follows the live tensors (with the default, freed memory stays in the heap and hides later peaks).
 */
public final class MemoryBench {
    private MemoryBench() {}

    /** What was measured: planned and measured bytes. */
    public record Result(String what, long planned, long measured) {
        public double ratio() {
            return measured / (double) planned;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-58s planned %7.3f GB   measured %7.3f GB   measured/planned %.2f", what,
                    planned / 1e9, measured / 1e9, ratio());
        }
    }

    /**
     * One Linum-width DiT block (bf16) over a batch-2 360p latent of {@code latentFrames} frames, with libtorch's fused
     * attention (no score matrix: the float64 RoPE of k is the peak, as on a GPU) or the chunked one (the query block's
     * scores and probabilities are).
     */
    public static Result ditForward(int latentFrames, boolean fused) {
        Engine.init();
        DitConfig oneBlock = ModelFamily.LINUM.dit().withOverrides(Json.CONFIG.createObjectNode().put("num_layers", 1));
        MemoryPlan.Setup s = new MemoryPlan.Setup(ModelFamily.LINUM, oneBlock, T5Config.t5v11Xxl(), 256, WanVaeConfig.wan21(), 640, 360,
                (latentFrames - 1) * 4 + 1, DType.BF16, Offload.NONE, true, fused, VaeDecoder.DEFAULT_TILING,
                Attention.Options.DEFAULT_WORKSPACE);
        try (DiffusionTransformer dit = DiffusionTransformer.random(oneBlock, DType.BF16, 1,
                Attention.Options.defaults().withKernel(fused ? Attention.Kernel.FUSED : Attention.Kernel.CHUNKED))) {
            Tensor x = new NoiseGenerator(1).gaussian(new long[]{2, 16, latentFrames, 45, 80});
            Tensor text = new NoiseGenerator(2).gaussian(new long[]{256, 4096});
            long measured = measure(() -> Scopes.run(() -> dit.forward(x, new double[]{500, 500}, List.of(text, text), null)));
            return new Result(String.format(Locale.ROOT, "DiT forward, 1 Linum block, bf16, B=2, %d x 45 x 80 latent, %s", latentFrames,
                    fused ? "fused" : "chunked"),
                    MemoryPlan.ditForwardPeak(s), measured);
        }
    }

    /** The Wan 2.1 VAE decoding a first frame and one frame group of a {@code size}×{@code size} latent, untiled. */
    public static Result vaeDecode(int size) {
        Engine.init();
        try (WanVae vae = WanVae.random(WanVaeConfig.wan21(), 1)) {
            Tensor z = new NoiseGenerator(1).gaussian(new long[]{1, 16, 2, size, size});
            long measured = measure(() -> vae.decode(z, null, (frames, first) -> {}));
            return new Result(String.format(Locale.ROOT, "VAE decode, Wan 2.1, 2 x %d x %d latent", size, size),
                    MemoryPlan.vaeDecodePeak(WanVaeConfig.wan21(), size, size), measured);
        }
    }

    private static long measure(Runnable pass) {
        System.gc();
        long before = ProcessMemory.resident();
        ProcessMemory.resetPeak();
        pass.run();
        long peak = ProcessMemory.peak();
        if (before < 0 || peak < 0) throw new IllegalStateException("measuring memory needs Linux's /proc/self/status");
        return peak - before;
    }

    /** {@code dit FRAMES}, {@code dit-fused FRAMES} or {@code vae SIZE}, measured in a fresh JVM on this one's class path. */
    public static Result inFreshProcess(String what, int size) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), MemoryBench.class.getName(),
                what, Integer.toString(size)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("MALLOC_MMAP_THRESHOLD_", "131072");
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = p.waitFor();
            String last = out.strip().lines().reduce((a, b) -> b).orElse("");
            String[] f = last.split("\t");
            if (exit != 0 || f.length != 3) throw new IllegalStateException("the measuring process failed (exit " + exit + "):\n" + out);
            return new Result(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]));
        } catch (IOException e) {
            throw new IllegalStateException("could not start the measuring process: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Measures in this process and prints {@code what<TAB>planned<TAB>measured}; {@link #inFreshProcess} runs it. */
    public static void main(String[] args) {
        Result r = switch (args[0]) {
            case "dit" -> ditForward(Integer.parseInt(args[1]), false);
            case "dit-fused" -> ditForward(Integer.parseInt(args[1]), true);
            case "vae" -> vaeDecode(Integer.parseInt(args[1]));
            default -> throw new IllegalArgumentException("dit FRAMES, dit-fused FRAMES or vae SIZE");
        };
        System.out.println(r.what() + "\t" + r.planned() + "\t" + r.measured());
    }
}
