package dev.zoetrope.core.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine starts on an empty JavaCPP native cache. libtorch_cpu.so used to crash the JVM when it was
 * loaded before its neighbours (such as libgomp.so.1) had been extracted; {@link Engine#init()} now extracts
 * the whole native folder first. Each start runs in its own JVM, so this JVM's loaded libraries don't count.
 */
class FirstStartTest {
    @TempDir
    Path cache;

    record Run(int exit, String out) {}

    private Run startEngine(Map<String, String> env) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-Dorg.bytedeco.javacpp.cachedir=" + cache,
                "-cp", System.getProperty("java.class.path"),
                EngineProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("ZOETROPE_THREADS");
        pb.environment().remove("OPENBLAS_NUM_THREADS");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "engine start finished");
        return new Run(p.exitValue(), out);
    }

    @Test
    void firstStartOnAnEmptyCacheThenAWarmOne() throws IOException, InterruptedException {
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(0, s.count(), "cache starts empty");
        }
        // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]]
        String product = "matmul 58.0 64.0 139.0 154.0";

        Run first = startEngine(Map.of("ZOETROPE_THREADS", "1", "OPENBLAS_NUM_THREADS", "1"));
        assertEquals(0, first.exit(), "first start exit code; output:\n" + first.out());
        assertTrue(first.out().contains(product), first.out());
        assertTrue(first.out().contains("\nthreads 1"), "ZOETROPE_THREADS is obeyed: " + first.out());
        // libtorch's matmuls run on OpenBLAS's own pool, sized by its own variable (capped at the cores)
        assertTrue(first.out().contains("blas threads 1"), "OpenBLAS's count is read: " + first.out());
        assertTrue(first.out().contains("cache " + cache), first.out());
        try (Stream<Path> s = Files.walk(cache)) {
            List<String> names = s.map(p -> p.getFileName().toString()).toList();
            for (String lib : List.of("libtorch_cpu.so", "libc10.so", "libgomp.so.1", "libjnitorch.so"))
                assertTrue(names.contains(lib), lib + " extracted into the empty cache: " + names);
        }

        Run second = startEngine(Map.of());
        assertEquals(0, second.exit(), "warm start exit code; output:\n" + second.out());
        assertTrue(second.out().contains(product), second.out());
        assertTrue(second.out().contains("\nthreads " + Runtime.getRuntime().availableProcessors()),
                "threads default to the cores: " + second.out());
        int blas = Integer.parseInt(second.out().replaceAll("(?s).*\nblas threads (\\d+).*", "$1"));
        assertTrue(blas >= 1 && blas <= Runtime.getRuntime().availableProcessors(), "OpenBLAS defaults to the cores at most: " + second.out());
    }
}
