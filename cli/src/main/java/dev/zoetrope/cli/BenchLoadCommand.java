package dev.zoetrope.cli;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;


import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.bench.ProcessMemory;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.WeightDtype;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Loads each part of a model the way generation does and reports its load time and the process's peak resident
 * memory while it loaded: what cast-on-load costs in RAM. Linux only for the memory figures (/proc/self).
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load each part of a model (text encoder, DiT, VAE) as generate does; print load time and the peak "
                + "resident memory while each part loaded (Linux: VmHWM, reset before each part).")
final class BenchLoadCommand extends BenchSubcommand {
    @Parameters(paramLabel = "MODEL", description = "A model directory or a Hugging Face repo id in the local hub cache.")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "With a repo id: the branch, tag or commit hash.")
    String revision;

    @Option(names = "--dtype", paramLabel = "auto|bf16|f32", description = "Cast on load, as generate --dtype (default: auto).")
    String dtype = "auto";

    @Option(names = "--part", paramLabel = "text|dit|vae|all", description = "Which part to load (default: ${DEFAULT-VALUE}).")
    String part = "all";

    @Mixin
    DeviceOption device = new DeviceOption();

    @Override
    Runnable measurement() {
        WeightDtype cast = WeightDtype.parse(dtype);
        List<String> parts = switch (part) {
            case "all" -> List.of("text", "dit", "vae");
            case "text", "dit", "vae" -> List.of(part);
            default -> throw new InvalidRequestException("--part must be text, dit, vae or all, not '" + part + "'");
        };
        ComputeDevice where = device.parsed();
        ModelDirectory dir = ModelDirectory.resolve(model, revision);
        return () -> {
            TextToVideo.Parts loaders = ModelLoader.parts(dir, cast, where.resolve());
            System.out.printf(Locale.ROOT, "%s (%s), dtype %s; resident before loading %s%n", dir.root(), dir.layout().description(),
                    dtype, gib(ProcessMemory.resident()));
            for (String p : parts) {
                Supplier<? extends AutoCloseable> load = switch (p) {
                    case "text" -> loaders.text();
                    case "dit" -> loaders.dit();
                    default -> loaders.vae();
                };
                ProcessMemory.resetPeak();
                long start = System.nanoTime();
                try (AutoCloseable loaded = load.get()) {
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf(Locale.ROOT, "%-5s loaded in %6.1f s; resident %s, peak while loading %s%n", p, seconds,
                            gib(ProcessMemory.resident()), gib(ProcessMemory.peak()));
                } catch (Exception e) {
                    throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            }
        };
    }

    private static String gib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
