package dev.zoetrope.cli;

import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.bench.KernelBench;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.bench.ConvolutionGradientBench;
import dev.zoetrope.models.bench.T5Bench;
import dev.zoetrope.models.bench.VaeDecodeBench;
import dev.zoetrope.models.vae.SpatialTiling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure engine and model throughput.",
        subcommands = {BenchCommand.Matmul.class, BenchCommand.Attention.class, BenchCommand.T5.class,
                BenchCommand.VaeDecode.class, BenchCommand.ConvGrad.class, BenchDitCommand.class, BenchGenerateCommand.class, BenchLoadCommand.class,
                BenchMemoryCommand.class, BenchCurateCommand.Curate.class, BenchCurateCommand.Shots.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "matmul", mixinStandardHelpOptions = true, description = "fp32 and bf16 n x n x n matmul in GFLOP/s.")
    static final class Matmul extends BenchSubcommand {
        @Option(names = "-n", description = "Matrix size (default ${DEFAULT-VALUE}).")
        int n = 2048;
        @Option(names = "--runs", description = "Timed runs; the best is reported (default ${DEFAULT-VALUE}).")
        int runs = 5;

        @Override
        Runnable measurement() {
            requirePositive("-n and --runs", n, runs);
            return () -> {
                print(KernelBench.matmul(DType.F32, n, runs));
                print(KernelBench.matmul(DType.BF16, n, runs));
            };
        }
    }

    @Command(name = "conv-grad", mixinStandardHelpOptions = true,
            description = "Forward + backward of a 3x3x3 convolution with a contiguous input, with the channels-last input "
                    + "that training uses, and with oneDNN off: best time and input-gradient error against float64.")
    static final class ConvGrad extends BenchSubcommand {
        @Option(names = "--batch", description = "Batch (default ${DEFAULT-VALUE}).")
        int batch = 4;
        @Option(names = "--channels", description = "Input and output channels (default ${DEFAULT-VALUE}).")
        int channels = 8;
        @Option(names = "--frames", description = "Input frames, 3 or more (default ${DEFAULT-VALUE}).")
        int frames = 11;
        @Option(names = "--size", description = "Height and width (default ${DEFAULT-VALUE}).")
        int size = 64;
        @Option(names = "--runs", description = "Timed runs; the best is reported (default ${DEFAULT-VALUE}).")
        int runs = 4;

        @Override
        Runnable measurement() {
            requirePositive("all sizes", batch, channels, frames, size, runs);
            if (frames < 3) throw new InvalidRequestException("--frames must be at least 3 (the kernel's depth)");
            return () -> {
                for (ConvolutionGradientBench.Row r : ConvolutionGradientBench.run(batch, channels, frames, size, runs))
                    System.out.printf(Locale.ROOT, "%-44s %9.1f ms  input-gradient error %.1e%n", r.name(), r.bestMillis(),
                            r.inputGradientError());
            };
        }
    }

    @Command(name = "attention", mixinStandardHelpOptions = true,
            description = "Attention through fused SDPA and the chunked matmul/softmax path, fp32 and bf16, in GFLOP/s.")
    static final class Attention extends BenchSubcommand {
        @Option(names = "--heads", description = "Heads (default ${DEFAULT-VALUE}).")
        int heads = 13;
        @Option(names = "--len", description = "Tokens (default ${DEFAULT-VALUE}).")
        int len = 4096;
        @Option(names = "--head-dim", description = "Head dim (default ${DEFAULT-VALUE}).")
        int headDim = 128;
        @Option(names = "--chunk", description = "Query chunk of the manual path (default ${DEFAULT-VALUE}).")
        int chunk = 1024;
        @Option(names = "--runs", description = "Timed runs (default ${DEFAULT-VALUE}).")
        int runs = 2;
        @Option(names = "--kernels", split = ",", paramLabel = "sdpa|manual|tiled",
                description = "Which to run (default: all): libtorch's fused SDPA, the manual chunked path, and the models' "
                        + "tiled kernel (the DiT's attention). The bf16 2048^3 matmul peak is measured first.")
        List<String> kernels = List.of("sdpa", "manual", "tiled");
        @Option(names = "--dtypes", split = ",", paramLabel = "f32|bf16", description = "Dtypes (default: f32,bf16).")
        List<String> dtypes = List.of("f32", "bf16");

        @Override
        Runnable measurement() {
            requirePositive("all sizes", heads, len, headDim, chunk, runs);
            for (String k : kernels)
                if (!List.of("sdpa", "manual", "tiled").contains(k))
                    throw new InvalidRequestException("--kernels takes sdpa, manual and tiled, not '" + k + "'");
            List<DType> types = dtypes.stream().map(DType::parse).toList();
            return () -> {
                print(KernelBench.matmul(DType.BF16, 2048, 3));
                for (DType d : types) {
                    if (kernels.contains("sdpa")) print(KernelBench.sdpa(d, heads, len, headDim, runs));
                    if (kernels.contains("manual")) print(KernelBench.manualAttention(d, heads, len, headDim, chunk, runs));
                    if (kernels.contains("tiled")) print(tiled(d));
                }
            };
        }

        /** The models' attention kernel ({@code Attention}, chunked: cache-sized tiles) on (1, len, heads, headDim). */
        private KernelBench.Result tiled(DType d) {
            var a = new dev.zoetrope.models.nn.Attention(
                    dev.zoetrope.models.nn.Attention.Options.defaults().withKernel(dev.zoetrope.models.nn.Attention.Kernel.CHUNKED));
            try (PointerScope scope = new PointerScope()) {
                torch.manual_seed(2);
                var q = torch.randn(1, len, heads, headDim).to(d.scalarType());
                var k = torch.randn(1, len, heads, headDim).to(d.scalarType());
                var v = torch.randn(1, len, heads, headDim).to(d.scalarType());
                double best = Double.MAX_VALUE;
                for (int i = 0; i <= runs; i++) { // run 0 warms up
                    try (PointerScope step = new PointerScope()) {
                        long t0 = System.nanoTime();
                        a.apply(q, k, v, null);
                        if (i > 0) best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    }
                }
                var tile = a.tile(heads, len, len, d);
                return new KernelBench.Result("tiled " + d.code() + " " + heads + "x" + len + "x" + headDim + " tile "
                        + tile.heads() + "x" + tile.rows(), KernelBench.attentionFlops(1, heads, len, headDim) / best / 1e9, best, runs);
            }
        }
    }

    @Command(name = "vae-decode", mixinStandardHelpOptions = true,
            description = "Wan VAE decode, one latent frame at a time, random weights at real dims (default 360p 2 s).")
    static final class VaeDecode extends BenchSubcommand {
        @Option(names = "--latent-frames", description = "Latent frames (default ${DEFAULT-VALUE}: 49 video frames).")
        int frames = 13;
        @Option(names = "--latent-height", description = "Latent height (default ${DEFAULT-VALUE}: 360 px).")
        int height = 45;
        @Option(names = "--latent-width", description = "Latent width (default ${DEFAULT-VALUE}: 640 px).")
        int width = 80;
        @Option(names = "--base-dim", description = "VAE base channels (default ${DEFAULT-VALUE}, the released model).")
        int baseDim = 96;
        @Option(names = "--tile", description = "Decode in spatial tiles of this many latent pixels (default: no tiling).")
        Integer tile;
        @Option(names = "--tile-overlap", description = "Tile overlap in latent pixels (default ${DEFAULT-VALUE}).")
        int overlap = 8;
        @Option(names = "-n", description = "Matmul size for the peak (default ${DEFAULT-VALUE}).")
        int n = 2048;
        @Option(names = "--dtype", description = "What the convolutions compute in: f32 or bf16; bf16 also reports its PSNR "
                + "against a float32 decode of the first latent frames (default ${DEFAULT-VALUE}).")
        String dtype = "f32";
        @Mixin
        DeviceOption device = new DeviceOption();

        @Override
        Runnable measurement() {
            // Checked here, not by SpatialTiling and the setup: their own checks guard against our bugs.
            requirePositive("all sizes", frames, height, width, baseDim, n);
            DType d = DType.parse(dtype);
            if (d != DType.BF16 && d != DType.F32) throw new InvalidRequestException("--dtype must be f32 or bf16, got " + dtype);
            if (tile != null) {
                requirePositive("--tile", tile);
                if (overlap < 0 || overlap >= tile)
                    throw new InvalidRequestException("--tile-overlap must be within 0.." + (tile - 1) + " (less than --tile), got " + overlap);
            }
            ComputeDevice where = device.parsed();
            return () -> {
                ComputeDevice on = where.resolve();
                SpatialTiling tiling = tile == null ? null : new SpatialTiling(tile, tile, overlap);
                System.out.println(VaeDecodeBench.run(new VaeDecodeBench.Setup(baseDim, frames, height, width, tiling, n, 3, d), on, true).report());
            };
        }
    }

    @Command(name = "t5", mixinStandardHelpOptions = true,
            description = "T5-XXL encoder blocks with random weights: seconds, TFLOP/s, and the ratio to the matmul peak.")
    static final class T5 extends BenchSubcommand {
        @Option(names = "--blocks", description = "Encoder blocks (default ${DEFAULT-VALUE}; one XXL block is ~0.4 GB in bf16).")
        int blocks = 1;
        @Option(names = "--tokens", description = "Sequence length (default ${DEFAULT-VALUE}).")
        int tokens = 256;
        @Option(names = "--dtype", description = "Weight and matmul dtype: bf16 or f32 (default ${DEFAULT-VALUE}).")
        String dtype = "bf16";
        @Option(names = "--runs", description = "Timed runs after one warm-up; the best is reported (default ${DEFAULT-VALUE}).")
        int runs = 2;
        @Mixin
        DeviceOption device = new DeviceOption();

        @Override
        Runnable measurement() {
            DType d = DType.parse(dtype);
            if (d != DType.BF16 && d != DType.F32) throw new InvalidRequestException("--dtype must be bf16 or f32, got " + dtype);
            requirePositive("--blocks, --tokens and --runs", blocks, tokens, runs);
            ComputeDevice where = device.parsed();
            return () -> System.out.println(T5Bench.run(d, blocks, tokens, runs, where.resolve()).describe());
        }
    }
}
