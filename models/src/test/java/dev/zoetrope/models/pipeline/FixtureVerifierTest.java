package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.engine.Engine;

class FixtureVerifierTest {
    @TempDir
    Path tmp;

    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    static List<Comparison> runAll(Path dir) {
        return FixtureVerifier.discover(dir).stream().flatMap(c -> c.run().get().stream()).toList();
    }

    @Test
    void textFixturesFoundFromTheirFileNamesAndPass() {
        List<FixtureVerifier.Check> checks = FixtureVerifier.discover(fixtures().resolve("t5-tiny"));
        assertEquals(List.of("t5 encoder", "umt5 encoder", "tokenizer ids"), checks.stream().map(FixtureVerifier.Check::name).toList());
        List<Comparison> all = runAll(fixtures().resolve("t5-tiny"));
        assertEquals(10, all.size());
        for (Comparison c : all) assertTrue(c.passes(), c.describe(Comparison.TOLERANCE));
    }

    /**
     * Wan's release forms: the VAE and the umT5 from their {@code .pth} files (Wan's own T5 names, config from the shapes),
     * the scaled-fp8 DiT, and the two files that must be refused (a pickle that would run code, the legacy format).
     */
    @Test
    void wanPthFixturesVerifyAndTheHostileOnesAreRefused() throws IOException {
        Path marker = Path.of("/tmp/zoetrope-pickle-executed");
        Files.deleteIfExists(marker);
        List<FixtureVerifier.Check> checks = FixtureVerifier.discover(fixtures().resolve("wan-pth"));
        assertEquals(List.of("vae encode/decode", "dit forward (fp8 weights)", "umt5 encoder (models_t5_umt5-xxl-enc-bf16.pth)",
                "refuses hostile.pth", "refuses legacy_format_vae.pth"), checks.stream().map(FixtureVerifier.Check::name).toList());
        List<Comparison> all = runAll(fixtures().resolve("wan-pth"));
        for (Comparison c : all) assertTrue(c.passes(), c.describe(Comparison.TOLERANCE));
        assertTrue(all.stream().anyMatch(c -> c.name().contains("posix.system")), "the hostile global is named");
        assertFalse(Files.exists(marker), "the hostile pickle ran nothing");
    }

    @Test
    void tokenizerMismatchIsReported() throws IOException {
        Files.copy(fixtures().resolve("t5-tiny/spiece.model"), tmp.resolve("spiece.model"));
        Files.writeString(tmp.resolve("tokenizer_cases.json"), "{\"texts\": [\"x\"], \"ids\": [[5, 1]]}");
        List<Comparison> r = runAll(tmp);
        assertEquals(1, r.size());
        assertFalse(r.getFirst().passes(), r.getFirst().describe(1e-4));
        assertTrue(r.getFirst().describe(1e-4).contains("MISMATCH"));
    }

    @Test
    void comparisonsJudgeRelativeErrorAndShapes() {
        assertTrue(new Comparison("a", 1e-5, 1.0, false, null).passes());
        assertFalse(new Comparison("a", 2e-4, 1.0, false, null).passes());
        assertTrue(new Comparison("a", 2e-4, 10.0, false, null).passes());
        assertFalse(new Comparison("a", Double.NaN, 1.0, false, null).passes());
        assertFalse(Comparison.exact("ids", new long[]{1, 2}, new long[]{1, 3}).passes());
        assertTrue(Comparison.exact("ids", new long[]{1, 2}, new long[]{1, 2}).passes());
        assertFalse(Comparison.exact("ids", new long[]{1}, new long[]{1, 2}).passes());
    }

    @Test
    void aDirectoryWithNothingToCheckSaysWhatItExpected() {
        ConfigException e = assertThrows(ConfigException.class, () -> FixtureVerifier.discover(tmp));
        assertTrue(e.getMessage().contains("README.json") && e.getMessage().contains("tokenizer_cases.json"), e.getMessage());
    }
}
