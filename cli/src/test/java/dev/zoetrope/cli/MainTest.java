package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.zoetrope.core.engine.Engine;

class MainTest {
    @Test
    void doctorChecksTheMachine() {
        CliRun r = CliRun.of("doctor");
        assertEquals(0, r.exit(), r.toString());
        List<String> lines = r.out().lines().toList();
        for (String what : List.of("JDK", "OS", "engine", "cuda", "bf16 matmul", "ffmpeg", "memory", "disk"))
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(what + " ")), what + " line in\n" + r.out());
        String engine = lines.stream().filter(l -> l.startsWith("engine ")).findFirst().orElseThrow();
        assertTrue(engine.contains("libtorch 2.10.0") && engine.contains(Engine.requestedThreads() + " threads"), engine);
        // the CUDA devices libtorch sees (none on the CPU flavour), never a failed check
        assertTrue(lines.contains(String.format("%-12s %s", "cuda", Engine.init().cuda().describe())), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("bf16 matmul") && l.contains("ok (")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("JDK") && l.contains(Runtime.version().feature() + ".")), r.out());
        assertEquals("all checks passed", lines.getLast());
    }

    @Test
    void benchCommandsReportGflops() {
        CliRun mm = CliRun.of("bench", "matmul", "-n", "96", "--runs", "1");
        assertEquals(0, mm.exit(), mm.toString());
        assertTrue(mm.out().lines().anyMatch(l -> l.startsWith("matmul F32 96^3") && l.contains("GFLOP/s")), mm.out());
        assertTrue(mm.out().lines().anyMatch(l -> l.startsWith("matmul BF16 96^3") && l.contains("GFLOP/s")), mm.out());

        CliRun at = CliRun.of("bench", "attention", "--heads", "2", "--len", "64", "--head-dim", "16", "--chunk", "32", "--runs", "1");
        assertEquals(0, at.exit(), at.toString());
        for (String kind : List.of("sdpa F32 2x64x16", "manual F32 2x64x16 chunk 32", "sdpa BF16 2x64x16", "manual BF16 2x64x16 chunk 32"))
            assertTrue(at.out().lines().anyMatch(l -> l.startsWith(kind) && l.contains("GFLOP/s")), kind + " in\n" + at.out());
    }

    @Test
    void badBenchSizesExitTwo() {
        CliRun r = CliRun.of("bench", "matmul", "-n", "0");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("positive"), r.err());
    }

    @Test
    void unknownFlagOrCommandExitsTwo() {
        CliRun flag = CliRun.of("info", "--frobnicate", "x");
        assertEquals(2, flag.exit(), flag.toString());
        assertTrue(flag.err().contains("Unknown option: '--frobnicate'"), flag.err());
        CliRun cmd = CliRun.of("frobnicate");
        assertEquals(2, cmd.exit(), cmd.toString());
        assertTrue(cmd.err().contains("frobnicate"), cmd.err());
        CliRun missing = CliRun.of("info");
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("Missing required parameter: 'PATH'"), missing.err());
    }

    /**
     * Every command's help text is a valid format string, as picocli treats it: a stray '%' (e.g. "98%") makes
     * picocli print a warning and the raw text instead of the help.
     */
    @Test
    void everyHelpTextInTheTreeIsAValidFormat() {
        ArrayDeque<CommandLine> todo = new ArrayDeque<>(List.of(new CommandLine(new Main())));
        int seen = 0;
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            CommandSpec spec = c.getCommandSpec();
            List<String> texts = new ArrayList<>(List.of(spec.usageMessage().description()));
            texts.addAll(List.of(spec.usageMessage().footer()));
            texts.addAll(List.of(spec.usageMessage().header()));
            // options as written in the annotations: the spec's accessors return them already formatted
            for (Class<?> k = spec.userObject().getClass(); k != null && k != Object.class; k = k.getSuperclass())
                for (Field f : k.getDeclaredFields()) {
                    if (f.getAnnotation(Option.class) != null) texts.addAll(List.of(f.getAnnotation(Option.class).description()));
                    if (f.getAnnotation(Parameters.class) != null) texts.addAll(List.of(f.getAnnotation(Parameters.class).description()));
                }
            for (String text : texts)
                assertDoesNotThrow(() -> String.format(text), spec.qualifiedName() + ": " + text);
            assertFalse(c.getUsageMessage(CommandLine.Help.Ansi.OFF).isBlank(), spec.qualifiedName());
            seen++;
        }
        assertTrue(seen > 20, "walked " + seen + " commands");
    }

    @Test
    void everyCommandHasHelp() {
        for (List<String> cmd : List.<List<String>>of(List.of(), List.of("doctor"), List.of("info"), List.of("bench"),
                List.of("bench", "matmul"), List.of("bench", "attention"))) {
            String[] args = java.util.stream.Stream.concat(cmd.stream(), java.util.stream.Stream.of("--help")).toArray(String[]::new);
            CliRun r = CliRun.of(args);
            assertEquals(0, r.exit(), String.join(" ", args) + ": " + r);
            assertTrue(r.out().startsWith("Usage: zoetrope" + (cmd.isEmpty() ? "" : " " + String.join(" ", cmd))), r.out());
        }
        CliRun bare = CliRun.of();
        assertEquals(0, bare.exit());
        for (String sub : List.of("doctor", "info", "bench")) assertTrue(bare.out().contains(sub), bare.out());
        CliRun version = CliRun.of("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().startsWith("zoetrope "), version.out());
    }
}
