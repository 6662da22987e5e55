package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.video.Ffmpeg;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check the machine: JDK, tensor engine, CUDA devices, bf16, FFmpeg, memory and disk.")
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--dir", description = "Directory whose free disk space to report (default: current).")
    Path dir = Path.of(".");

    @Override
    public Integer call() throws IOException {
        boolean ok = true;
        Runtime rt = Runtime.getRuntime();
        line("JDK", Runtime.version() + " (" + System.getProperty("java.vendor") + "), " + System.getProperty("java.home"));
        line("OS", System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", " + rt.availableProcessors() + " cores");
        Engine.EngineInfo info = Engine.init();
        line("engine", info.describe() + ", loaded in " + info.loadMillis() + " ms");
        // no CUDA device is not a failed check: everything runs on the CPU (--device auto picks it)
        line("cuda", info.cuda().describe());
        String bf16 = checkBf16();
        ok &= bf16.startsWith("ok");
        line("bf16 matmul", bf16);
        Ffmpeg.Status ff = Ffmpeg.status();
        ok &= ff.loaded() && ff.h264Encoder();
        line("ffmpeg", ff.describe());
        line("memory", String.format(Locale.ROOT, "JVM heap max %.1f GiB; machine %s", rt.maxMemory() / 1073741824.0, machineMemory()));
        var store = Files.getFileStore(dir.toAbsolutePath());
        line("disk", String.format(Locale.ROOT, "%.1f GiB free of %.1f GiB at %s", store.getUsableSpace() / 1073741824.0,
                store.getTotalSpace() / 1073741824.0, dir.toAbsolutePath().normalize()));
        System.out.println(ok ? "all checks passed" : "some checks FAILED");
        return ok ? 0 : 1;
    }

    /** A bf16 matmul must agree with fp32 within bf16 precision. */
    static String checkBf16() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(0);
            Tensor a = torch.randn(64, 64), b = torch.randn(64, 64);
            Tensor ref = torch.matmul(a, b);
            Tensor got = torch.matmul(a.to(ScalarType.BFloat16), b.to(ScalarType.BFloat16)).to(ScalarType.Float);
            double rel = Tensors.maxAbsDiff(ref, got) / Tensors.maxAbs(ref);
            return rel < 0.05 ? String.format(Locale.ROOT, "ok (max relative error vs fp32 %.4f)", rel)
                    : String.format(Locale.ROOT, "WRONG (max relative error vs fp32 %.4f)", rel);
        } catch (RuntimeException e) {
            return "failed: " + e.getMessage();
        }
    }

    private static String machineMemory() {
        try {
            long total = 0, avail = 0;
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) total = kib(l);
                if (l.startsWith("MemAvailable:")) avail = kib(l);
            }
            return String.format(Locale.ROOT, "%.1f GiB available of %.1f GiB", avail / 1048576.0, total / 1048576.0);
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    private static void line(String what, String value) {
        System.out.printf(Locale.ROOT, "%-12s %s%n", what, value);
    }
}
