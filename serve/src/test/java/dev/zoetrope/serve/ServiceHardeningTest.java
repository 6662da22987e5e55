package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;

/** What a hostile or unlucky environment does to the service: full disks, deleted files, revoked keys, slow clients. */
class ServiceHardeningTest {
    @TempDir
    Path data;

    private static ZoetropeServer start(Path data, long stepMillis) {
        return ZoetropeServer.start(ServeOptions.defaults(data).withPort(0).withShutdownGrace(Duration.ZERO),
                new TestPatternGenerator(stepMillis));
    }

    private static void setMaxPages(ZoetropeServer server, String value) {
        server.database().transaction(c -> {
            try (var s = c.createStatement()) {
                s.execute("PRAGMA max_page_count = " + value);
            }
            return null;
        });
    }

    private static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            Thread.sleep(50);
        }
    }

    /** Collects the warnings one logger emits. */
    private static final class Warnings extends Handler implements AutoCloseable {
        final List<LogRecord> records = java.util.Collections.synchronizedList(new ArrayList<>());
        private final Logger logger;

        Warnings(Class<?> owner) {
            logger = Logger.getLogger(owner.getName());
            setLevel(Level.WARNING);
            logger.addHandler(this);
        }

        long count(String event) {
            synchronized (records) {
                return records.stream().filter(r -> r.getMessage().equals(event)).count();
            }
        }

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    @Test
    void aFullDatabaseAnswers503ReportsUnhealthyAndRecovers() throws Exception {
        try (ZoetropeServer server = start(data, 1); Warnings warnings = new Warnings(JobWorkers.class)) {
            ServiceClient c = new ServiceClient(server.uri());
            String key = server.keys().add("full").secret();
            // PRAGMA max_page_count cannot go below the pages in use: the database is now exactly full.
            setMaxPages(server, "1");
            ServiceClient.Reply refused = null;
            for (int i = 0; i < 500 && refused == null; i++) {
                ServiceClient.Reply r = c.post("/v1/videos", key, "{\"prompt\":\"filler " + "x".repeat(200) + "\",\"steps\":1}");
                if (r.status() != 202) refused = r;
            }
            assertNotNull(refused, "500 submissions fitted in a full database");
            assertEquals(503, refused.status(), new String(refused.body(), StandardCharsets.UTF_8));
            String error = refused.json().get("error").asText();
            assertTrue(error.contains("cannot write the job database: the database is full") && error.endsWith("retry later"), error);
            assertFalse(error.contains("no transaction is active"), error);
            assertEquals(String.valueOf(ZoetropeServer.RETRY_AFTER_SECONDS), refused.header("Retry-After"));

            ServiceClient.Reply health = c.get("/healthz", null);
            assertEquals(503, health.status());
            assertEquals("unhealthy", health.json().get("status").asText());
            assertTrue(health.json().get("error").asText().contains("the database is full"), health.json().toString());
            assertEquals(503, c.post("/v1/videos", key, "{\"prompt\":\"still full\"}").status());
            // Reading goes on: the jobs already stored are still there to see.
            assertEquals(200, c.get("/v1/videos?limit=1", key).status());

            // The worker pauses with growing waits and says so once, not every second.
            Thread.sleep(4000);
            assertEquals(1, warnings.count("worker.paused"), "worker warnings in 4 s: " + warnings.records.size());

            setMaxPages(server, "1073741823");
            await("/healthz to recover", Duration.ofSeconds(10), () -> c.get("/healthz", null).status() == 200);
            String after = c.submit(key, "{\"prompt\":\"room again\",\"steps\":1}");
            assertEquals("done", c.awaitFinal(key, after, Duration.ofSeconds(90)).get("status").asText());
        }
    }

    @Test
    void aVideosDirectoryThatCannotBeWrittenRequeuesTheJobAndPausesTheWorker() throws Exception {
        try (ZoetropeServer server = start(data, 1)) {
            ServiceClient c = new ServiceClient(server.uri());
            String key = server.keys().add("videos").secret();
            Path videos = data.resolve("videos");
            Files.createDirectories(data);
            Files.writeString(videos, "not a directory");
            String id = c.submit(key, "{\"prompt\":\"nowhere to go\",\"steps\":1}");
            await("the job to go back to the queue", Duration.ofSeconds(30), () -> {
                JsonNode j = c.get("/v1/videos/" + id, key).json();
                return j.get("status").asText().equals("queued") && j.get("attempts").asInt() == 1;
            });
            ServiceClient.Reply health = c.get("/healthz", null);
            assertEquals(503, health.status());
            assertTrue(health.json().get("error").asText().contains("cannot store finished videos in " + videos), health.json().toString());
            ServiceClient.Reply refused = c.post("/v1/videos", key, "{\"prompt\":\"more\"}");
            assertEquals(503, refused.status());
            assertNotNull(refused.header("Retry-After"));
            Thread.sleep(1500);
            assertEquals("queued", c.get("/v1/videos/" + id, key).json().get("status").asText(), "no retry while unhealthy");

            Files.delete(videos);
            JsonNode done = c.awaitFinal(key, id, Duration.ofSeconds(60));
            assertEquals("done", done.get("status").asText(), done.toString());
            assertEquals(2, done.get("attempts").asInt());
            assertEquals(200, c.get("/healthz", null).status());
            assertEquals(200, c.get("/v1/videos/" + id + "/content", key).status());
        }
    }

    @Test
    void aClipThatCannotBeWrittenOnAFullDiskRunsAgainOnceThereIsRoom() throws Exception {
        TestPatternGenerator model = new TestPatternGenerator(1);
        try (ZoetropeServer server = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0).withShutdownGrace(Duration.ZERO),
                model)) {
            ServiceClient c = new ServiceClient(server.uri());
            String key = server.keys().add("disk").secret();
            // A write error on a disk with room is the generator's failure: the job fails at once.
            model.failWrites(new IOException("Input/output error"));
            JsonNode failed = c.awaitFinal(key, c.submit(key, "{\"prompt\":\"bad sector\",\"steps\":1}"), Duration.ofSeconds(30));
            assertEquals("failed", failed.get("status").asText());
            assertEquals(1, failed.get("attempts").asInt());
            assertEquals(200, c.get("/healthz", null).status());

            // The same error with the disk full is the data directory's: the job waits for room.
            server.database().minFreeBytes(Long.MAX_VALUE);
            model.failWrites(new IOException("No space left on device"));
            String id = c.submit(key, "{\"prompt\":\"no room\",\"steps\":1}");
            await("the job to go back to the queue", Duration.ofSeconds(30), () -> {
                JsonNode j = c.get("/v1/videos/" + id, key).json();
                return j.get("status").asText().equals("queued") && j.get("attempts").asInt() == 1;
            });
            ServiceClient.Reply health = c.get("/healthz", null);
            assertEquals(503, health.status());
            assertTrue(health.json().get("error").asText().contains("the disk is full"), health.json().toString());
            assertEquals(503, c.post("/v1/videos", key, "{\"prompt\":\"more\"}").status());

            model.failWrites(null);
            server.database().minFreeBytes(ServiceDatabase.MIN_FREE_BYTES);
            JsonNode done = c.awaitFinal(key, id, Duration.ofSeconds(60));
            assertEquals("done", done.get("status").asText(), done.toString());
            assertEquals(2, done.get("attempts").asInt());
            assertEquals(200, c.get("/healthz", null).status());
        }
    }

    @Test
    void aDeletedOrReplacedDatabaseIsNoticedAndRefusesWrites(@TempDir Path other) throws Exception {
        try (ZoetropeServer server = start(data, 1)) {
            ServiceClient c = new ServiceClient(server.uri());
            String key = server.keys().add("deleted").secret();
            c.submit(key, "{\"prompt\":\"before\",\"steps\":1}");
            Files.delete(data.resolve("zoetrope.db"));
            ServiceClient.Reply refused = c.post("/v1/videos", key, "{\"prompt\":\"after\",\"steps\":1}");
            assertEquals(503, refused.status());
            assertTrue(refused.json().get("error").asText().contains("the job database was deleted while the server ran"),
                    refused.json().toString());
            assertTrue(refused.json().get("error").asText().endsWith("restart the server"), "no point retrying: " + refused.json());
            assertNull(refused.header("Retry-After"), "only a restart helps");
            ServiceClient.Reply health = c.get("/healthz", null);
            assertEquals(503, health.status());
            assertTrue(health.json().get("error").asText().contains("restart the server"), health.json().toString());
            assertThrows(ServiceDatabase.UnavailableException.class, () -> server.keys().add("lost"), "a key would be lost too");
        }

        try (ZoetropeServer server = start(other, 1)) {
            ServiceClient c = new ServiceClient(server.uri());
            String key = server.keys().add("replaced").secret();
            Path db = other.resolve("zoetrope.db");
            Files.copy(db, other.resolve("copy.db"));
            Files.move(other.resolve("copy.db"), db, StandardCopyOption.REPLACE_EXISTING);
            ServiceClient.Reply refused = c.post("/v1/videos", key, "{\"prompt\":\"after\",\"steps\":1}");
            assertEquals(503, refused.status());
            assertTrue(refused.json().get("error").asText().contains("replaced by another file"), refused.json().toString());
            assertEquals(503, c.get("/healthz", null).status());
        }
    }

    @Test
    void aVideoWhoseSizeDiffersFromTheRecordIsNotServed() throws Exception {
        try (ZoetropeServer server = start(data, 1)) {
            ServiceClient c = new ServiceClient(server.uri());
            String key = server.keys().add("truncated").secret();
            String id = c.submit(key, "{\"prompt\":\"cut short\",\"steps\":1}");
            JsonNode job = c.awaitFinal(key, id, Duration.ofSeconds(30));
            long bytes = job.at("/result/bytes").asLong();
            Path file = data.resolve("videos").resolve(id + ".mp4");
            assertEquals(bytes, Files.size(file));
            byte[] whole = Files.readAllBytes(file);
            Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2));

            ServiceClient.Reply r = c.get("/v1/videos/" + id + "/content", key);
            assertEquals(500, r.status());
            assertEquals("application/json", r.header("Content-Type"));
            assertEquals("the stored video of job " + id + " is damaged: " + whole.length / 2 + " bytes on disk, " + bytes
                    + " when it was made; it is not served", r.json().get("error").asText());
            assertEquals(500, c.send(c.request("/v1/videos/" + id + "/content", key).header("Range", "bytes=0-9").GET()).status());
            Files.write(file, whole);
            assertArrayEquals(whole, c.get("/v1/videos/" + id + "/content", key).body(), "the intact file is served again");
        }
    }

    @Test
    void aRevokedKeysSignedLinksStopWorking() throws Exception {
        try (ZoetropeServer server = start(data, 1)) {
            ServiceClient c = new ServiceClient(server.uri());
            var carol = server.keys().add("carol");
            String dave = server.keys().add("dave").secret();
            String id = c.submit(carol.secret(), "{\"prompt\":\"linked\",\"steps\":1}");
            JsonNode job = c.awaitFinal(carol.secret(), id, Duration.ofSeconds(30));
            String content = job.at("/links/content").asText();
            String events = job.at("/links/events").asText();
            String token = content.substring(content.indexOf("token=") + 6);
            assertTrue(token.startsWith(carol.info().id() + "."), "the token names its key: " + token);
            assertEquals(200, c.get(content, null).status());
            assertEquals(200, c.get(events, null).status());

            // Another key's id in the token breaks its signature.
            String daveId = dave.substring(3, 15);
            String forged = content.replace("token=" + carol.info().id(), "token=" + daveId);
            assertEquals(401, c.get(forged, null).status());
            // The old form without a key id is not accepted.
            String old = content.replace("token=" + carol.info().id() + ".", "token=");
            assertEquals(401, c.get(old, null).status());

            assertTrue(server.keys().revoke(carol.info().id()));
            ServiceClient.Reply revoked = c.get(content, null);
            assertEquals(401, revoked.status());
            assertEquals("the link's API key has been revoked", revoked.json().get("error").asText());
            assertEquals(401, c.get(events, null).status());
        }
    }

    @Test
    void bodiesWithDuplicateKeysOrTrailingDataAreRefused() throws Exception {
        try (ZoetropeServer server = start(data, 1)) {
            ServiceClient c = new ServiceClient(server.uri());
            String key = server.keys().add("json").secret();
            ServiceClient.Reply dup = c.post("/v1/videos", key, "{\"prompt\":\"a\",\"steps\":1,\"prompt\":\"b\"}");
            assertEquals(400, dup.status());
            assertEquals("body", dup.json().at("/errors/0/field").asText());
            assertEquals("gives the field 'prompt' twice", dup.json().at("/errors/0/message").asText());
            for (String trailing : List.of("{\"prompt\":\"a\"} {\"prompt\":\"b\"}", "{\"prompt\":\"a\"}]", "{\"prompt\":\"a\"} 7")) {
                ServiceClient.Reply r = c.post("/v1/videos", key, trailing);
                assertEquals(400, r.status(), trailing);
                assertEquals("body", r.json().at("/errors/0/field").asText(), trailing);
            }
            assertEquals("has data after the JSON object; send one JSON object",
                    c.post("/v1/videos", key, "{\"prompt\":\"a\"} {}").json().at("/errors/0/message").asText());
            assertEquals(202, c.post("/v1/videos", key, "{\"prompt\":\"a\",\"steps\":1}\n  ").status(), "trailing whitespace is fine");
        }
    }

    @Test
    void optionsOutOfRangeAreRefused() {
        var defaults = ServeOptions.defaults(data);
        var e = assertThrows(InvalidRequestException.class, () -> defaults.withShutdownGrace(Duration.ofSeconds(-1)));
        assertEquals("--shutdown-grace: must be 0 or more seconds, got -1", e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> defaults.withReadTimeout(Duration.ZERO));
        assertEquals("--read-timeout: must be at least 1 second, got 0", e.getMessage());
        assertEquals(Duration.ZERO, defaults.withShutdownGrace(Duration.ZERO).shutdownGrace());
    }

    @Test
    void workersBackOffExponentiallyUpToAMinute() {
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < 9; i++) pauses.add(JobWorkers.backoff(i).toSeconds());
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L, 60L), pauses);
        assertEquals(60, JobWorkers.backoff(Integer.MAX_VALUE).toSeconds());
    }

    /** Slow clients cannot hold a connection: the request line, headers and body must arrive within the read timeout. */
    @Test
    void slowHeadersAndBodiesAreCutOffAtTheReadTimeout() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ServerProcessMain.class.getName(), data.toString(), "1", "2"))
                .redirectError(data.resolve("child.log").toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "child server printed nothing");
            int port = Integer.parseInt(line.substring(5));

            long headers = secondsUntilClosed(port, "POST /v1/videos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n");
            long body = secondsUntilClosed(port, "POST /v1/videos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 200\r\nAuthorization: Bearer zt_000000000000_" + "0".repeat(48) + "\r\n\r\n{\"prompt\":");
            for (long s : new long[]{headers, body}) assertTrue(s >= 1 && s <= 10, "closed after " + s + " s; the timeout is 2 s");

            // A prompt client is unaffected.
            ServiceClient c = new ServiceClient(URI.create("http://127.0.0.1:" + port + "/"));
            assertEquals(200, c.get("/healthz", null).status());
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        }
    }

    /** Sends {@code partial} and then nothing; the whole seconds until the server closes the connection. */
    private static long secondsUntilClosed(int port, String partial) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            long t0 = System.nanoTime();
            OutputStream o = s.getOutputStream();
            o.write(partial.getBytes(StandardCharsets.US_ASCII));
            o.flush();
            InputStream in = s.getInputStream();
            try {
                while (in.read() >= 0) {
                    // an answer, if any, is read to the end of the connection
                }
            } catch (SocketException reset) {
                // closed by the server with data unread: a reset is a close too
            }
            return Math.round((System.nanoTime() - t0) / 1e9);
        }
    }
}
