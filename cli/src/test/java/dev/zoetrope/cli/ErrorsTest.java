package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.text.TokenizerException;

/** A failure is the user's by what it means, not by its JDK type. */
class ErrorsTest {
    @TempDir
    Path tmp;

    @Test
    void badInputOfEveryKindIsTheUsers() {
        for (Throwable e : List.of(new InvalidRequestException("--k must be at least 1"),
                new ConfigException("recipe.json: missing a 'train' section"),
                new ModelLoadException("dit/: missing the DiT weights"),
                new TokenizerException("spiece.model: not a valid SentencePiece model"),
                new UncheckedIOException(new NoSuchFileException("clip.mp4"))))
            assertTrue(Errors.isUserError(e), e.toString());
    }

    @Test
    void anIllegalArgumentExceptionIsABugWhereverItComesFrom() {
        assertFalse(Errors.isUserError(new IllegalArgumentException("latents must be (B, 16, F, H, W), not [1, 3]")));
        assertFalse(Errors.isUserError(new NumberFormatException("For input string: \"x\"")), "a subclass too");
        assertFalse(Errors.isUserError(new NullPointerException()));
    }

    @Test
    void aBugKeepsItsStackTraceAndExitsOne() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err));
        assertEquals(1, Main.handle(new IllegalArgumentException("index 7 out of bounds"), cl, null));
        assertTrue(err.toString().startsWith("internal error: java.lang.IllegalArgumentException: index 7 out of bounds"), err.toString());
        assertTrue(err.toString().contains("\tat dev.zoetrope.cli.ErrorsTest."), "the stack trace is printed: " + err);
    }

    @Test
    void aBadRequestIsOneLineAndExitsTwo() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err));
        assertEquals(2, Main.handle(new InvalidRequestException("--shift must be positive, got 0.0"), cl, null));
        assertEquals("error: --shift must be positive, got 0.0", err.toString().strip());

        // End to end: options that commands check themselves, and a request the pipeline refuses.
        for (String[] args : List.of(new String[]{"generate", "--model-dir", tmp.resolve("absent").toString(), "x"},
                new String[]{"generate", "--model-dir", tmp.toString(), "x", "--shift", "-1"},
                new String[]{"bench", "vae-decode", "--tile", "4", "--tile-overlap", "4"},
                new String[]{"bench", "dit", "--attention", "flash"},
                new String[]{"synth", "--out", tmp.resolve("s").toString(), "--count", "1", "--seed", "1", "--split", "test"},
                new String[]{"serve", "--data", tmp.resolve("d").toString(), "--port", "70000"})) {
            CliRun r = CliRun.of(args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r);
            assertEquals(1, r.err().strip().lines().count(), String.join(" ", args) + ": " + r);
            assertTrue(r.err().startsWith("error: "), r.toString());
        }
    }
}
