package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;

/**
 * {@code ./zoetrope dist}, unpacked elsewhere and run as on a machine without Java: PATH holds only the few tools
 * the launcher script uses, HOME is empty (so the natives are extracted anew). About 2 minutes, most of it the build.
 */
class DistributionTest {
    static final Path ROOT = Path.of(System.getProperty("zoetrope.home")).toAbsolutePath();

    @TempDir
    Path tmp;

    record Run(int exit, String out) {}

    static Run run(Path dir, List<String> cmd, Map<String, String> env, boolean clearEnv) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        if (clearEnv) pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(900, TimeUnit.SECONDS), String.join(" ", cmd) + " finished");
        return new Run(p.exitValue(), out);
    }

    @Test
    void theArchiveRunsGenerateWithoutAJdkOnThePath() throws Exception {
        Run built = run(ROOT, List.of(ROOT.resolve("zoetrope").toString(), "dist"), Map.of("JAVA_HOME", System.getProperty("java.home")), false);
        assertEquals(0, built.exit(), built.out());
        Path archive = Path.of(built.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(archive.getFileName().toString().matches("zoetrope-.*-linux-x86_64\\.tar\\.gz"), archive.toString());

        Path unpacked = tmp.resolve("opt");
        Files.createDirectories(unpacked);
        assertEquals(0, run(unpacked, List.of("tar", "xzf", archive.toString()), Map.of(), false).exit());
        Path home;
        try (Stream<Path> s = Files.list(unpacked)) {
            home = s.findFirst().orElseThrow();
        }
        for (String f : List.of("LICENSE", "NOTICE", "THIRD-PARTY.txt", "bin/zoetrope", "runtime/bin/java", "models/zoetrope-tiny/zoetrope.json"))
            assertTrue(Files.exists(home.resolve(f)), f + " in the archive");
        assertTrue(Files.readString(home.resolve("THIRD-PARTY.txt")).contains("org.bytedeco:pytorch"));

        // a PATH with the launcher script's tools and nothing else: no java, no mvn
        Path bin = tmp.resolve("bin");
        Files.createDirectories(bin);
        for (String tool : List.of("sh", "dirname", "readlink"))
            Files.createSymbolicLink(bin.resolve(tool), Path.of(run(tmp, List.of("sh", "-c", "command -v " + tool), Map.of(), false).out().strip()));
        Map<String, String> bare = Map.of("PATH", bin.toString(), "HOME", tmp.resolve("home").toString());
        Files.createDirectories(tmp.resolve("home"));
        assertNotEquals(0, run(tmp, List.of(bin.resolve("sh").toString(), "-c", "command -v java"), bare, true).exit(), "no java on PATH");

        Path clip = tmp.resolve("clip.mp4");
        Run generated = run(tmp, List.of(home.resolve("bin/zoetrope").toString(), "generate", "a red ball moving right",
                "--num-steps", "4", "-o", clip.toString()), bare, true);
        assertEquals(0, generated.exit(), generated.out());
        VideoInfo info = VideoProbe.probe(clip);
        assertEquals(17, info.frameCount());
        assertEquals("h264", info.codec());
    }
}
