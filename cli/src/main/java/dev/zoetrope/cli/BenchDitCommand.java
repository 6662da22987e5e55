package dev.zoetrope.cli;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.bench.DitBench;
import dev.zoetrope.models.nn.Attention;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dit", mixinStandardHelpOptions = true,
        description = "DiT forward at real Linum v2 dims with random weights (360p 2 s: 11,960 tokens by default): "
                + "seconds, TFLOP/s and the ratio to the bf16 matmul rate.")
final class BenchDitCommand extends BenchSubcommand {
    @Option(names = "--blocks", description = "Transformer blocks, 1..40 (default ${DEFAULT-VALUE}).")
    int blocks = 1;
    @Option(names = "--dtype", description = "bf16 or f32 (default ${DEFAULT-VALUE}).")
    String dtype = "bf16";
    @Option(names = "--batch", description = "Batch size, e.g. 2 for cond+null (default ${DEFAULT-VALUE}).")
    int batch = 1;
    @Option(names = "--frames", description = "Latent frames (default ${DEFAULT-VALUE}: 2 s).")
    int frames = 13;
    @Option(names = "--height", description = "Latent height (default ${DEFAULT-VALUE}: 360p).")
    int height = 45;
    @Option(names = "--width", description = "Latent width (default ${DEFAULT-VALUE}: 360p).")
    int width = 80;
    @Option(names = "--runs", description = "Timed forwards; the best is reported (default ${DEFAULT-VALUE}).")
    int runs = 2;
    @Option(names = "--warmup", description = "Untimed forwards first (default ${DEFAULT-VALUE}: a process's first forward "
            + "pays one-time costs, 0.3-1.1 s at 360p, that a sampling loop pays once).")
    int warmup = 1;
    @Option(names = "--attention", description = "auto (measure), fused or chunked (default ${DEFAULT-VALUE}).")
    String attention = "auto";
    @Option(names = "--workspace-mb", description = "Attention workspace bound in MiB (default ${DEFAULT-VALUE}).")
    long workspaceMb = 2048;
    @Mixin
    DeviceOption device = new DeviceOption();

    @Override
    Runnable measurement() {
        if (workspaceMb < 1) throw new InvalidRequestException("--workspace-mb must be at least 1, got " + workspaceMb);
        DitBench.Options o = new DitBench.Options(blocks, DType.parse(dtype), batch, frames, height, width, runs, warmup,
                new Attention.Options(Attention.Kernel.parse(attention), workspaceMb << 20));
        ComputeDevice where = device.parsed();
        return () -> System.out.println(DitBench.run(o, where.resolve(), System.out).describe());
    }
}
