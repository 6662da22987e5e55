package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.engine.CudaStatus;
import dev.zoetrope.core.engine.Engine;

/**
 * --device as a user meets it on this machine: a CUDA device that is not there is one line and exit 2 before any model
 * loads, from every command that takes the option; auto and cpu generate the same clip as no option at all.
 */
class DeviceOptionTest {
    static final String PROMPT = GenerateFlagsTest.PROMPT;

    @TempDir
    Path tmp;

    static Path home() {
        return Path.of(System.getProperty("zoetrope.home"));
    }

    @Test
    void generateWithCudaFailsInOneLineNamingTheFlavour() {
        CudaStatus seen = Engine.init().cuda();
        Path out = tmp.resolve("out.mp4");
        for (String spelling : List.of("cuda", "cuda:1")) {
            GenerateCommandTest.Run r = GenerateCommandTest.run("generate", PROMPT, "-o", out.toString(), "--device", spelling);
            assertEquals(2, r.exit(), r.err());
            assertEquals("", r.out());
            // one line: no stack trace, and no "model:" line, since nothing was loaded
            List<String> lines = r.err().lines().toList();
            assertEquals(1, lines.size(), r.err());
            String line = lines.getFirst();
            if (!seen.cudaFlavour())
                assertEquals("error: --device " + spelling + ": this build is the CPU flavour of libtorch, which has no CUDA; "
                        + "build the CUDA flavour with ./mvnw -Dtorch.platform=linux-x86_64-gpu -DskipTests package, see the "
                        + "README's Engine settings", line);
            else if (seen.devices() == 0)
                assertTrue(line.startsWith("error: --device " + spelling + ": no CUDA device (this build is the CUDA flavour, "
                        + "but libtorch sees 0 devices: "), line);
            else
                assertTrue(line.startsWith("error: --device " + spelling + ": "), line);
        }
        assertFalse(Files.exists(out));
    }

    @Test
    void aMisspeltDeviceIsRefusedWithTheChoices() {
        GenerateCommandTest.Run r = GenerateCommandTest.run("generate", PROMPT, "-o", tmp.resolve("out.mp4").toString(),
                "--device", "gpu");
        assertEquals(2, r.exit(), r.err());
        assertEquals("error: --device must be auto, cpu, cuda or cuda:N (N = 0, 1, ...), not 'gpu'", r.err().strip());
    }

    /** Where no CUDA device exists, every command with --device refuses it the same way (bench prints its engine first). */
    @Test
    void everyCommandWithTheOptionRefusesAMissingCudaDevice() {
        CudaStatus seen = Engine.init().cuda();
        assumeTrue(seen.devices() == 0, "a CUDA device is there");
        String tiny = home().resolve("models/zoetrope-tiny").toString();
        List<List<String>> commands = List.of(
                List.of("bench", "dit", "--blocks", "1"),
                List.of("bench", "t5", "--blocks", "1"),
                List.of("bench", "vae-decode", "--latent-frames", "2"),
                List.of("bench", "load", tiny),
                List.of("verify", "--fixture", tmp.toString()),
                List.of("serve", "--data", tmp.resolve("data").toString(), "--port", "0"),
                List.of("train", "--recipe", "micro", "--work", tmp.resolve("work").toString()));
        for (List<String> command : commands) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--device", "cuda"));
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertEquals(2, r.exit(), r.toString());
            List<String> lines = r.err().lines().toList();
            assertEquals(1, lines.size(), r.toString());
            assertTrue(lines.getFirst().startsWith("error: --device cuda: "), r.toString());
            assertFalse(r.out().contains("GFLOP") || r.out().contains("loaded in") || r.out().contains("Serving"), r.toString());
        }
        assertFalse(Files.exists(tmp.resolve("work")), "train refuses before its first stage");
    }

    /** A bench runs where --device resolves to, and reports the device its output came from: here, the CPU. */
    @Test
    void benchesRunOnTheResolvedDevice() {
        assumeTrue(Engine.init().cuda().devices() == 0, "with a CUDA device, auto means CUDA");
        for (String device : List.of("cpu", "auto")) {
            CliRun r = CliRun.of("bench", "vae-decode", "--latent-frames", "2", "--latent-height", "2", "--latent-width", "3",
                    "--base-dim", "4", "-n", "64", "--device", device);
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("vae-decode on cpu: base dim 4")), r.toString());
        }
    }

    /** The README's clip, byte for byte the same with no --device, --device auto and --device cpu (no GPU here or not). */
    @Test
    void autoAndCpuGenerateTheSameClipAsBefore() throws Exception {
        assumeTrue(Engine.init().cuda().devices() == 0,
                "with a CUDA device, auto means CUDA, whose kernels give other bytes");
        byte[] first = null;
        String wrote = null;
        for (List<String> device : List.of(List.<String>of(), List.of("--device", "auto"), List.of("--device", "cpu"))) {
            Path out = tmp.resolve("clip" + device.size() + (device.isEmpty() ? "" : device.get(1)) + ".mp4");
            List<String> args = new ArrayList<>(List.of("generate", PROMPT, "-o", out.toString()));
            args.addAll(device);
            GenerateCommandTest.Run r = GenerateCommandTest.run(args.toArray(String[]::new));
            assertEquals(0, r.exit(), r.err());
            byte[] bytes = Files.readAllBytes(out);
            String line = r.out().lines().findFirst().orElseThrow().replace(out.toString(), "OUT").replaceAll(", in [0-9:]+$", "");
            if (first == null) {
                first = bytes;
                wrote = line;
                assertEquals("wrote OUT: 64x64, 17 frames at 8 fps (2.00 s), seed 20, 30 steps, guidance 4.00", line);
            } else {
                assertArrayEquals(first, bytes, device.toString());
                assertEquals(wrote, line);
            }
        }
    }
}
