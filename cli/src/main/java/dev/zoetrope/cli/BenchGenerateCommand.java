package dev.zoetrope.cli;

import java.util.Locale;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.bench.GenerationEstimate;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"With --estimate: the predicted wall time of one whole clip on this machine (text encoder + steps x DiT "
                + "forwards + VAE decode), from each part measured at the clip's real sizes with random weights but cut short "
                + "(2 text-encoder blocks, 1 DiT block, 1 latent frame) and scaled by the FLOPs of the whole part.",
                "  zoetrope bench generate --estimate --config linum-360p --duration 2 --steps 50"})
final class BenchGenerateCommand extends BenchSubcommand {
    @Option(names = "--estimate", required = true, description = "Predict from measured parts (a whole clip at real sizes takes "
            + "hours on a CPU, so this is the only mode).")
    boolean estimate;
    @Option(names = "--config", paramLabel = "NAME", description = "linum-360p, linum-720p, wan-1.3b or wan-14b (default: ${DEFAULT-VALUE}).")
    String config = "linum-360p";
    @Option(names = "--resolution", description = "Resolution name (default: the model's).")
    String resolution;
    @Option(names = "--duration", paramLabel = "SECONDS", description = "Clip length (default: the family's).")
    Double duration;
    @Option(names = "--steps", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps = 50;
    @Option(names = "--separate-guidance", description = "Two batch-1 forwards per step instead of one batch-2 forward.")
    boolean separateGuidance;
    @Option(names = "--dtype", paramLabel = "bf16|f32", description = "DiT and text encoder weights (default: ${DEFAULT-VALUE}).")
    String dtype = "bf16";

    @Override
    Runnable measurement() {
        requirePositive("--steps", steps);
        DType weights = switch (dtype.strip().toLowerCase(Locale.ROOT)) {
            case "bf16" -> DType.BF16;
            case "f32", "fp32" -> DType.F32;
            default -> throw new InvalidRequestException("--dtype must be bf16 or f32, not '" + dtype + "'");
        };
        PlanCommand.Sizes m = PlanCommand.released(config);
        ModelCapabilities caps = m.capabilities();
        String res = resolution == null ? caps.defaultResolution() : resolution.strip().toLowerCase(Locale.ROOT);
        int[] wh = caps.resolutions().get(res);
        if (wh == null)
            throw new InvalidRequestException("unknown resolution '" + resolution + "'; " + m.name() + " has "
                    + String.join(", ", caps.resolutions().keySet()));
        double seconds = duration == null ? caps.defaultSeconds() : duration;
        if (!(seconds >= caps.minSeconds() && seconds <= caps.maxSeconds()))
            throw new InvalidRequestException("--duration " + seconds + " is outside " + caps.minSeconds() + ".." + caps.maxSeconds()
                    + " s for " + m.name());
        GenerationEstimate.Setup setup = new GenerationEstimate.Setup(
                (m.name().contains(res) ? m.name() : m.name() + " " + res) + ", " + seconds + " s", m.dit(), m.text(),
                m.textTokens(), m.vae(), wh[0], wh[1], m.family().frames(seconds, caps.fps()), steps, !separateGuidance, weights);
        return () -> System.out.print(GenerationEstimate.run(setup, System.out).report());
    }
}
