package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
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
                new UncheckedIOException(new NoSuchFileException("clip.mp4")),
                new dev.zoetrope.curate.pipeline.CurationException("curation ran out of Java heap", new OutOfMemoryError())))
            assertTrue(Errors.isUserError(e), e.toString());
    }

    @Test
    void anIllegalArgumentExceptionIsABugWhereverItComesFrom() {
        assertFalse(Errors.isUserError(new IllegalArgumentException("latents must be (B, 16, F, H, W), not [1, 3]")));
        assertFalse(Errors.isUserError(new NumberFormatException("For input string: \"x\"")), "a subclass too");
        assertFalse(Errors.isUserError(new NullPointerException()));
    }

    @Test
    void anIllegalStateExceptionIsABugWhereverItComesFrom() {
        assertFalse(Errors.isUserError(new IllegalStateException("clip.mp4: reader is closed")));
        assertFalse(Errors.isUserError(new IllegalStateException("UniPC steps must be taken in order: expected step 1, got 2")));
        assertFalse(Errors.isUserError(new java.nio.channels.OverlappingFileLockException()), "a subclass too");
    }

    @Test
    void aBugKeepsItsStackTraceAndExitsOne() {
        for (RuntimeException bug : List.of(new IllegalArgumentException("index 7 out of bounds"),
                new IllegalStateException("the pipeline finished without a summary"))) {
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err));
            assertEquals(1, Main.handle(bug, cl, null));
            assertTrue(err.toString().startsWith("internal error: " + bug), err.toString());
            assertTrue(err.toString().contains("\tat dev.zoetrope.cli.ErrorsTest."), "the stack trace is printed: " + err);
        }
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

    /** A state the user made and must change: one {@code error:} line that says what to do, exit 2, no stack trace. */
    @Test
    void aDataDirectoryAnotherServerHoldsIsOneLineAndExitsTwo() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Path model = Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny");
        // A lock on server.lock is what a running server holds.
        try (FileChannel other = FileChannel.open(data.resolve("server.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = other.lock()) {
            CliRun r = CliRun.of("serve", "--data", data.toString(), "--model-dir", model.toString(), "--port", "0");
            assertOneErrorLine(r, data + ": another zoetrope server is using this data directory");
        }
    }

    @Test
    void aDatabaseFromANewerZoetropeIsOneLineAndExitsTwo() throws Exception {
        Path data = tmp.resolve("newer");
        Files.createDirectories(data);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("zoetrope.db"));
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }
        CliRun r = CliRun.of("serve", "keys", "list", "--data", data.toString());
        assertOneErrorLine(r, "zoetrope.db: written by a newer zoetrope (schema 99");
    }

    @Test
    void exportingBeforeTheDitIsTrainedIsOneLineAndExitsTwo() {
        Path work = tmp.resolve("work");
        CliRun r = CliRun.of("train", "--recipe", "micro", "--work", work.toString(), "--stage", "tokenizer,export");
        assertOneErrorLine(r, work.resolve("dit") + " holds no DiT checkpoint to export");
        assertFalse(Files.exists(work.resolve("model")), "nothing exported");
    }

    private static void assertOneErrorLine(CliRun r, String expected) {
        assertEquals(2, r.exit(), r.toString());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.toString());
        assertTrue(errors.getFirst().contains(expected), r.toString());
        assertTrue(r.err().lines().noneMatch(l -> l.startsWith("\tat ") || l.startsWith("internal error")), "no stack trace: " + r);
    }
}
