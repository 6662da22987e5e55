package dev.zoetrope.cli;

import dev.zoetrope.models.bench.MemoryBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "What zoetrope plan counts for activations, next to what a real pass takes in RAM on the CPU: one "
                + "Linum-width DiT block forward (bf16, batch 2, 360p latent; chunked and fused attention) and one Wan 2.1 VAE "
                + "frame group decode, each in a fresh process.")
final class BenchMemoryCommand extends BenchSubcommand {
    @Option(names = "--latent-frames", split = ",", description = "DiT latent frames, one run each (default: 5,9).")
    int[] latentFrames = {5, 9};
    @Option(names = "--vae-size", split = ",", description = "VAE latent height = width, one run each (default: 32).")
    int[] vaeSizes = {32};

    @Override
    Runnable measurement() {
        requirePositive("--latent-frames", latentFrames);
        requirePositive("--vae-size", vaeSizes);
        return () -> {
            for (int f : latentFrames) {
                System.out.println(MemoryBench.inFreshProcess("dit", f));
                System.out.println(MemoryBench.inFreshProcess("dit-fused", f));
            }
            for (int s : vaeSizes) System.out.println(MemoryBench.inFreshProcess("vae", s));
        };
    }
}
