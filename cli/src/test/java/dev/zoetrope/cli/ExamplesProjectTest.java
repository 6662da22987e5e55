package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;

/**
 * The examples/ project as a user would build it: the library's modules installed into a fresh local repository
 * (third-party artifacts read from the usual one, offline), then the example compiled against those artifacts alone
 * and run without OMP_WAIT_POLICY in its environment. About 40 s: the modules are already compiled.
 */
class ExamplesProjectTest {
    static final Path ROOT = Path.of(System.getProperty("zoetrope.home")).toAbsolutePath();
    static final Path USER_REPO = Path.of(System.getProperty("user.home"), ".m2", "repository");

    @TempDir
    Path tmp;

    record Run(int exit, String out) {}

    static Run run(Path dir, List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("OMP_WAIT_POLICY");
        pb.environment().remove("MAVEN_ARGS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), String.join(" ", cmd) + " finished");
        return new Run(p.exitValue(), out);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Test
    void theExampleBuildsAgainstInstalledArtifactsAndGeneratesAClip() throws Exception {
        Path repo = tmp.resolve("repository");
        List<String> maven = List.of(ROOT.resolve("mvnw").toString(), "-o", "-q", "-B", "-Dmaven.repo.local=" + repo,
                "-Dmaven.repo.local.tail=" + USER_REPO);
        List<String> install = new ArrayList<>(maven);
        // -Dmaven.test.skip: the running build's test classes are left alone
        install.addAll(List.of("install", "-Dmaven.test.skip=true", "-Dmaven.source.skip=true", "-Dmaven.javadoc.skip=true",
                "-pl", "bom,api", "-am"));
        Run installed = run(ROOT, install, 600);
        assertEquals(0, installed.exit(), installed.out());
        for (String a : List.of("zoetrope-bom", "zoetrope-api", "zoetrope-models", "zoetrope-video", "zoetrope-core"))
            assertTrue(Files.isDirectory(repo.resolve("dev/zoetrope/" + a)), a + " installed");

        Path project = tmp.resolve("examples");
        copyTree(ROOT.resolve("examples/src"), project.resolve("src"));
        Files.copy(ROOT.resolve("examples/pom.xml"), project.resolve("pom.xml"));
        List<String> build = new ArrayList<>(maven);
        build.addAll(List.of("package", "dependency:copy-dependencies"));
        Run built = run(project, build, 600);
        assertEquals(0, built.exit(), built.out());
        try (Stream<Path> s = Files.list(project.resolve("target/dependency"))) {
            List<String> jars = s.map(p -> p.getFileName().toString()).toList();
            assertTrue(jars.contains("zoetrope-api-0.1.0-SNAPSHOT.jar"), jars.toString());
            assertFalse(jars.stream().anyMatch(j -> j.startsWith("zoetrope-train") || j.startsWith("picocli")),
                    "the library brings no training or CLI code: " + jars);
        }

        Path clip = tmp.resolve("clip.mp4");
        Run generated = run(project, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", "target/classes:target/dependency/*",
                "dev.zoetrope.examples.Generate", ROOT.resolve("models/zoetrope-tiny").toString(), clip.toString()), 300);
        assertEquals(0, generated.exit(), generated.out());
        assertTrue(generated.out().contains("17 frames at 8 fps, seed 42"), generated.out());
        VideoInfo info = VideoProbe.probe(clip);
        assertEquals("h264", info.codec());
        assertEquals(17, info.frameCount());
        assertEquals(64, info.width());
    }
}
