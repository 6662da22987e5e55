package dev.zoetrope.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.pipeline.MemoryPlan;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.Offload;
import dev.zoetrope.models.pipeline.VaeDecoder;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.vae.SpatialTiling;
import dev.zoetrope.models.vae.WanVaeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Expected peak device and host memory of each stage of one generation (text encoding, denoising, "
                + "decoding) for a model, clip, dtype and offload mode, and whether it fits devices of the given sizes. "
                + "Nothing is loaded: weights are counted from the model's shapes, activations from the clip's.",
                "  zoetrope plan --config linum-720p --duration 5",
                "  zoetrope plan --model-dir DIR --resolution 480p --offload sequential --device-memory 12"})
final class PlanCommand implements Callable<Integer> {
    @Option(names = "--model-dir", paramLabel = "DIR|ORG/NAME", description = "A model directory or repo id (its configs and "
            + "weight headers are read, not the weights).")
    String modelDir;
    @Option(names = "--revision", paramLabel = "REV", description = "With a repo id: the branch, tag or commit hash (default: main).")
    String revision;
    @Option(names = "--config", paramLabel = "NAME", description = "A released model's sizes, without its weights: "
            + "linum-360p, linum-720p, wan-1.3b or wan-14b.")
    String config;
    @Option(names = "--resolution", description = "Resolution name (default: the model's).")
    String resolution;
    @Option(names = "--duration", paramLabel = "SECONDS", description = "Clip length (default: the family's).")
    Double duration;
    @Option(names = "--dtype", paramLabel = "bf16|f16|f32", description = "DiT and text encoder weights (default: ${DEFAULT-VALUE}, "
            + "what a GPU computes in).")
    String dtype = "bf16";
    @Option(names = "--offload", paramLabel = "none|model|sequential", description = "One mode; default: all three.")
    String offload;
    @Option(names = "--separate-guidance", description = "Plan two forwards per step (batch 1) instead of one batch-2 forward.")
    boolean separateGuidance;
    @Option(names = "--attention", paramLabel = "fused|chunked", description = "fused: a GPU's SDPA, no score matrix; "
            + "chunked: the CPU's query blocks (default: ${DEFAULT-VALUE}).")
    String attention = "fused";
    @Option(names = "--tile", paramLabel = "LATENT_PX", description = "VAE decode tile in latent pixels, 0 for whole frames "
            + "(default: ${DEFAULT-VALUE}, the pipeline's 256-pixel tiles).")
    int tile = VaeDecoder.DEFAULT_TILING.tileWidth();
    @Option(names = "--device-memory", paramLabel = "GB", split = ",", description = "Device sizes to check (default: 24,80).")
    List<Double> deviceMemory = List.of(24.0, 80.0);

    /** A model's sizes: what the plan needs to know of it. */
    record Sizes(String name, ModelFamily family, DitConfig dit, T5Config text, int textTokens, WanVaeConfig vae,
                 ModelCapabilities capabilities) {}

    @Override
    public Integer call() {
        DType weights = switch (dtype.strip().toLowerCase(Locale.ROOT)) {
            case "bf16" -> DType.BF16;
            case "f16", "fp16" -> DType.F16;
            case "f32", "fp32" -> DType.F32;
            default -> throw new InvalidRequestException("--dtype must be bf16, f16 or f32, not '" + dtype + "'");
        };
        boolean fused = switch (attention.strip().toLowerCase(Locale.ROOT)) {
            case "fused" -> true;
            case "chunked" -> false;
            default -> throw new InvalidRequestException("--attention must be fused or chunked, not '" + attention + "'");
        };
        if (tile < 0) throw new InvalidRequestException("--tile must be 0 (whole frames) or a positive latent size, not " + tile);
        for (double gb : deviceMemory)
            if (!(gb > 0 && gb < 1e6)) throw new InvalidRequestException("--device-memory takes sizes in GB above 0, got " + gb);
        List<Offload> modes = offload == null ? List.of(Offload.values()) : List.of(Offload.parse(offload));
        Engine.init();
        Sizes m = sizes();
        ModelCapabilities caps = m.capabilities();
        String res = resolution == null ? caps.defaultResolution() : resolution.strip().toLowerCase(Locale.ROOT);
        int[] wh = caps.resolutions().get(res);
        if (wh == null)
            throw new InvalidRequestException("unknown resolution '" + resolution + "'; " + m.name() + " has " + String.join(", ",
                    caps.resolutions().keySet()));
        double seconds = duration == null ? caps.defaultSeconds() : duration;
        if (!(seconds >= caps.minSeconds() && seconds <= caps.maxSeconds()))
            throw new InvalidRequestException("--duration " + seconds + " is outside " + caps.minSeconds() + ".." + caps.maxSeconds()
                    + " s for " + m.name());
        int frames = m.family().frames(seconds, caps.fps());
        SpatialTiling tiling = tile == 0 ? null : new SpatialTiling(tile, tile, Math.min(VaeDecoder.DEFAULT_TILING.overlap(), tile - 1));
        long[] sizes = deviceMemory.stream().mapToLong(gb -> Math.round(gb * 1e9)).toArray();
        System.out.println(m.name() + ": " + res + ", " + seconds + " s");
        for (Offload mode : modes) {
            MemoryPlan plan = MemoryPlan.of(new MemoryPlan.Setup(m.family(), m.dit(), m.text(), m.textTokens(), m.vae(), wh[0], wh[1],
                    frames, weights, mode, !separateGuidance, fused, tiling, Attention.Options.DEFAULT_WORKSPACE));
            System.out.println();
            System.out.print(plan.report(sizes));
        }
        System.out.println();
        System.out.println("Device figures leave " + Math.round(MemoryPlan.HEADROOM * 100) + "% of each device free (CUDA context, "
                + "allocator). Host figures are beyond the memory-mapped checkpoint files, which the page cache holds.");
        return 0;
    }

    private Sizes sizes() {
        if (config != null && modelDir != null) throw new InvalidRequestException("give --config or --model-dir, not both");
        if (config != null) return released(config);
        ModelDirectory dir = modelDir != null ? ModelDirectory.resolve(modelDir, revision) : defaultModel();
        MemoryPlan.Shapes shapes = MemoryPlan.Shapes.of(dir);
        return new Sizes(dir.root().toString(), dir.family(), shapes.dit(), shapes.text(), dir.textLength(), shapes.vae(),
                dir.capabilities());
    }

    static Sizes released(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "linum-360p", "linum-720p" -> new Sizes("Linum v2 " + name.substring(6), ModelFamily.LINUM, ModelFamily.LINUM.dit(),
                    T5Config.t5v11Xxl(), ModelFamily.LINUM.textLength(), WanVaeConfig.wan21(),
                    ModelFamily.LINUM.capabilities(name.substring(6)));
            case "wan-1.3b" -> new Sizes("Wan 2.1 T2V-1.3B", ModelFamily.WAN, ModelFamily.WAN.dit(), T5Config.umt5Xxl(),
                    ModelFamily.WAN.textLength(), WanVaeConfig.wan21(), ModelFamily.WAN.capabilities("480p"));
            case "wan-14b" -> new Sizes("Wan 2.1 T2V-14B", ModelFamily.WAN, ModelFamily.wan14b(), T5Config.umt5Xxl(),
                    ModelFamily.WAN.textLength(), WanVaeConfig.wan21(), ModelFamily.WAN.capabilities("720p"));
            default -> throw new InvalidRequestException("--config must be linum-360p, linum-720p, wan-1.3b or wan-14b, not '" + name + "'");
        };
    }

    private ModelDirectory defaultModel() {
        if (revision != null) throw new InvalidRequestException("--revision " + revision + " needs a repo id: --model-dir ORG/NAME");
        String home = System.getProperty("zoetrope.home");
        if (home == null) throw new InvalidRequestException("give --config NAME or --model-dir DIR");
        return ModelDirectory.detect(Path.of(home, "models", "zoetrope-tiny"));
    }
}
