package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.serve.ApiKeys;
import dev.zoetrope.serve.ServiceDatabase;

class ServeCommandTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void keysAddPrintsAWorkingKeyOnceAndListAndRevokeManageIt(@TempDir Path data) {
        Run add = run("serve", "keys", "add", "--data", data.toString(), "--name", "ci");
        assertEquals(0, add.code(), add.err());
        String key = add.out().strip();
        assertTrue(key.matches("zt_[0-9a-f]{12}_[0-9a-f]{48}"), key);
        String id = key.substring(3, 15);

        try (ServiceDatabase db = ServiceDatabase.open(data)) {
            assertEquals(id, new ApiKeys(db).authenticate(key).orElseThrow());
        }
        Run list = run("serve", "keys", "list", "--data", data.toString());
        assertEquals(0, list.code());
        assertTrue(list.out().contains(id) && list.out().contains("ci"), list.out());
        assertFalse(list.out().contains(key.substring(16)), "list must never show the secret");
        assertFalse(list.out().contains("REVOKED"));

        assertEquals(0, run("serve", "keys", "revoke", "--data", data.toString(), id).code());
        assertTrue(run("serve", "keys", "list", "--data", data.toString()).out().contains("REVOKED"));
        try (ServiceDatabase db = ServiceDatabase.open(data)) {
            assertTrue(new ApiKeys(db).authenticate(key).isEmpty());
        }
        Run again = run("serve", "keys", "revoke", "--data", data.toString(), id);
        assertEquals(2, again.code());
        assertTrue(again.err().contains("no active key"), again.err());
    }

    @Test
    void keysGoToTheStoreNamedByStore(@TempDir Path data) {
        String store = "sqlite:" + data.resolve("shared.db");
        Run add = run("serve", "keys", "add", "--store", store, "--name", "team");
        assertEquals(0, add.code(), add.err());
        try (ServiceDatabase db = ServiceDatabase.open(store, null)) {
            assertTrue(new ApiKeys(db).authenticate(add.out().strip()).isPresent());
        }
        assertTrue(run("serve", "keys", "list", "--store", store).out().contains("team"));
        Run neither = run("serve", "keys", "list");
        assertEquals(2, neither.code());
        assertTrue(neither.err().contains("--data DIR or --store URL is required"), neither.err());
    }

    @Test
    void serveNamesWhatIsMissing(@TempDir Path data) {
        Run noData = run("serve");
        assertEquals(2, noData.code());
        assertTrue(noData.err().contains("--data"), noData.err());
        Run negativeGrace = run("serve", "--data", data.toString(), "--shutdown-grace", "-1");
        assertEquals(2, negativeGrace.code());
        assertEquals("error: --shutdown-grace: must be 0 or more seconds, got -1", negativeGrace.err().strip());
        Run noTimeout = run("serve", "--data", data.toString(), "--read-timeout", "0");
        assertEquals(2, noTimeout.code());
        assertTrue(noTimeout.err().contains("--read-timeout: must be at least 1 second"), noTimeout.err());
        Run workerAlone = run("serve", "--data", data.toString(), "--role", "worker");
        assertEquals(2, workerAlone.code());
        assertTrue(workerAlone.err().contains("--role worker needs a store that several processes share"), workerAlone.err());
        Run badRole = run("serve", "--data", data.toString(), "--role", "gpu");
        assertEquals("error: --role: 'gpu' is not api, worker or both", badRole.err().strip());
        Run badStore = run("serve", "--data", data.toString(), "--store", "mysql://db/jobs");
        assertEquals(2, badStore.code());
        assertTrue(badStore.err().contains("neither sqlite:PATH nor postgresql://"), badStore.err());
        Run noDatabase = run("serve", "--data", data.toString(), "--store", "postgresql://db.internal:5432");
        assertTrue(noDatabase.err().contains("needs a host and a database"), noDatabase.err());
        Run shortLease = run("serve", "--data", data.toString(), "--lease", "0");
        assertEquals("error: --lease: must be at least 1 second, got 0", shortLease.err().strip());
        Path missing = data.resolve("no-such-model");
        Run noModel = run("serve", "--data", data.toString(), "--model-dir", missing.toString());
        assertEquals(2, noModel.code());
        assertTrue(noModel.err().contains(missing.toString()) && noModel.err().contains("no such file or directory"), noModel.err());
    }
}
