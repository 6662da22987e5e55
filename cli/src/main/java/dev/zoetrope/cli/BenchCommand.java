package dev.zoetrope.cli;

import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.bench.KernelBench;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure engine and model throughput.",
        subcommands = {BenchCommand.Matmul.class, BenchCommand.Attention.class, BenchCommand.T5.class,
                BenchCommand.VaeDecode.class, BenchDitCommand.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static void print(KernelBench.Result r) {
        System.out.printf(Locale.ROOT, "%-44s %8.1f GFLOP/s  (best of %d: %.4f s)%n", r.name(), r.gflops(), r.runs(), r.bestSeconds());
    }

    @Command(name = "matmul", mixinStandardHelpOptions = true, description = "fp32 and bf16 n x n x n matmul in GFLOP/s.")
    static final class Matmul implements Callable<Integer> {
        @Option(names = "-n", description = "Matrix size (default ${DEFAULT-VALUE}).")
        int n = 2048;
        @Option(names = "--runs", description = "Timed runs; the best is reported (default ${DEFAULT-VALUE}).")
        int runs = 5;

        @Override
        public Integer call() {
            if (n < 1 || runs < 1) throw new IllegalArgumentException("-n and --runs must be positive");
            System.out.println(Engine.init().describe());
            print(KernelBench.matmul(DType.F32, n, runs));
            print(KernelBench.matmul(DType.BF16, n, runs));
            return 0;
        }
    }

    @Command(name = "attention", mixinStandardHelpOptions = true,
            description = "Attention through fused SDPA and the chunked matmul/softmax path, fp32 and bf16, in GFLOP/s.")
    static final class Attention implements Callable<Integer> {
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

        @Override
        public Integer call() {
            if (heads < 1 || len < 1 || headDim < 1 || chunk < 1 || runs < 1)
                throw new IllegalArgumentException("all sizes must be positive");
            System.out.println(Engine.init().describe());
            print(KernelBench.sdpa(DType.F32, heads, len, headDim, runs));
            print(KernelBench.manualAttention(DType.F32, heads, len, headDim, chunk, runs));
            print(KernelBench.sdpa(DType.BF16, heads, len, headDim, runs));
            print(KernelBench.manualAttention(DType.BF16, heads, len, headDim, chunk, runs));
            return 0;
        }
    }

    @Command(name = "vae-decode", mixinStandardHelpOptions = true,
            description = "Wan VAE decode, one latent frame at a time, random weights at real dims (default 360p 2 s).")
    static final class VaeDecode implements Callable<Integer> {
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

        @Override
        public Integer call() {
            System.out.println(Engine.init().describe());
            var tiling = tile == null ? null : new dev.zoetrope.models.vae.SpatialTiling(tile, tile, overlap);
            var setup = new dev.zoetrope.models.vae.VaeDecodeBench.Setup(baseDim, frames, height, width, tiling, n, 3);
            System.out.println(dev.zoetrope.models.vae.VaeDecodeBench.run(setup, true).report());
            return 0;
        }
    }

    @Command(name = "t5", mixinStandardHelpOptions = true,
            description = "T5-XXL encoder blocks with random weights: seconds, TFLOP/s, and the ratio to the matmul peak.")
    static final class T5 implements Callable<Integer> {
        @Option(names = "--blocks", description = "Encoder blocks (default ${DEFAULT-VALUE}; one XXL block is ~0.4 GB in bf16).")
        int blocks = 1;
        @Option(names = "--tokens", description = "Sequence length (default ${DEFAULT-VALUE}).")
        int tokens = 256;
        @Option(names = "--dtype", description = "Weight and matmul dtype: bf16 or f32 (default ${DEFAULT-VALUE}).")
        String dtype = "bf16";
        @Option(names = "--runs", description = "Timed runs after one warm-up; the best is reported (default ${DEFAULT-VALUE}).")
        int runs = 2;

        @Override
        public Integer call() {
            DType d = DType.parse(dtype);
            if (d != DType.BF16 && d != DType.F32) throw new IllegalArgumentException("--dtype must be bf16 or f32, got " + dtype);
            if (blocks < 1 || tokens < 1 || runs < 1) throw new IllegalArgumentException("--blocks, --tokens and --runs must be positive");
            System.out.println(Engine.init().describe());
            System.out.println(dev.zoetrope.models.text.T5Bench.run(d, blocks, tokens, runs).describe());
            return 0;
        }
    }
}
