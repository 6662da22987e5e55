package dev.zoetrope.curate.labels;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;

/** The labelling server at the HTTP level: error replies, the token, Host and Origin, links, body limits, ranges, odd names. */
class LabelServerTest {
    /** Names that a URL must encode; each must still play. */
    private static final List<String> ODD = List.of("a b", "100%", "50%25 off", "x+y", "two\nlines", "ü é", "q?#&=;");

    @TempDir
    Path dir;

    private Path clips;
    private Path outside;
    private LabelStore store;
    private LabelServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private byte[] video;

    @BeforeEach
    void start() throws IOException {
        clips = Files.createDirectories(dir.resolve("clips"));
        outside = Files.createDirectories(dir.resolve("outside"));
        video = new byte[100_000];
        new Random(7).nextBytes(video);
        Files.write(clips.resolve("clip0.mp4"), video);
        Files.write(clips.resolve("clip0.png"), Arrays.copyOf(video, 500));
        for (int i = 0; i < ODD.size(); i++) Files.write(clips.resolve(ODD.get(i) + ".mp4"), Arrays.copyOfRange(video, i, i + 1000 + i));
        Files.writeString(outside.resolve("secret.txt"), "root:SECRET-HASH:19000:0:99999:7:::\n");
        Files.createSymbolicLink(clips.resolve("leak.mp4"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(clips.resolve("elsewhere"), outside);
        Files.createSymbolicLink(clips.resolve("inside-link.mp4"), clips.resolve("clip0.mp4"));
        store = LabelStore.open(dir.resolve("labels.sqlite"));
        store.addClips(ClipCatalog.of(clips).clips());
        server = LabelServer.start("127.0.0.1", 0, store, LabelConfig.defaults(), clips);
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
    }

    private String base() {
        return "http://127.0.0.1:" + server.port();
    }

    private HttpRequest.Builder authed(String path) {
        return HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + server.token());
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpRequest.BodyPublisher json(String body) {
        return HttpRequest.BodyPublishers.ofString(body);
    }

    private static final String GOOD_LABEL = "{\"clip_id\": \"clip0\", \"annotator\": \"ann\", \"values\": {\"overall\": \"4\"}}";

    /** Asserts the reply is {@code status} with a JSON {"error": ...} body, and returns the message. */
    private static String error(HttpResponse<byte[]> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), () -> new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode body = Json.PLAIN.readTree(r.body());
        String message = body.path("error").asText("");
        assertFalse(message.isBlank(), "no message in " + body);
        return message;
    }

    // Item 4: every error path answers with its status and a JSON message.

    @Test
    void everyErrorIsAStatusWithAJsonMessage() throws Exception {
        assertTrue(error(send(authed("/api/label").POST(json("{not json"))
                .header("Content-Type", "application/json")), 400).contains("not valid JSON"));
        assertTrue(error(send(authed("/api/label").POST(json("{\"clip_id\": \"nope\", \"annotator\": \"ann\"}"))
                .header("Content-Type", "application/json")), 400).contains("unknown clip 'nope'"));
        assertTrue(error(send(authed("/api/label").POST(json("{\"clip_id\": \"clip0\", \"annotator\": \"ann\", \"values\": {\"overall\": \"9\"}}"))
                .header("Content-Type", "application/json")), 400).contains("'9' is not an option of 'overall'"));
        assertTrue(error(send(authed("/api/label").POST(json("[1]")).header("Content-Type", "application/json")), 400)
                .contains("JSON object"));
        assertTrue(error(send(authed("/api/label").POST(json("")).header("Content-Type", "application/json")), 400).contains("empty"));
        HttpResponse<byte[]> get = send(authed("/api/label"));
        assertTrue(error(get, 405).contains("use POST"));
        assertEquals("POST", get.headers().firstValue("Allow").orElse(""));
        assertTrue(error(send(authed("/nothing/here")), 404).contains("/nothing/here"));
        assertTrue(error(send(authed("/api/import").POST(json("{\"not\": \"an array\"}"))
                .header("Content-Type", "application/json")), 400).contains("the uploaded file: a Label Studio export is a JSON array"));
        assertTrue(error(send(authed("/media/missing.mp4")), 404).contains("no such media"));
        assertTrue(store.labels().isEmpty(), "a refused request stored something");
        // And the good request still works.
        HttpResponse<byte[]> ok = send(authed("/api/label").POST(json(GOOD_LABEL)).header("Content-Type", "application/json"));
        assertEquals(200, ok.statusCode());
        assertEquals(Map.of("overall", "4"), store.labelsOf("ann").get("clip0"));
    }

    // Item 5: the per-run token.

    @Test
    void everyRequestNeedsTheRunsToken() throws Exception {
        assertTrue(server.token().length() >= 32, "token under 128 bits");
        assertTrue(server.url().endsWith("/?token=" + server.token()));
        for (String path : List.of("/", "/api/state", "/api/export", "/api/agreement", "/media/clip0.mp4")) {
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(base() + path)));
            assertTrue(error(r, 401).contains("token"), path);
            assertTrue(r.headers().firstValue("WWW-Authenticate").isPresent());
            error(send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + "0".repeat(48))), 401);
            error(send(HttpRequest.newBuilder(URI.create(base() + path)).header("Cookie", "zoetrope_label_" + server.port() + "=nope")), 401);
        }
        error(send(HttpRequest.newBuilder(URI.create(base() + "/?token=wrong"))), 401);
        error(send(HttpRequest.newBuilder(URI.create(base() + "/api/label")).POST(json(GOOD_LABEL)).header("Content-Type", "application/json")), 401);
        assertTrue(store.labels().isEmpty());

        // The printed address sets an HttpOnly, SameSite=Strict cookie and sends the browser on to the bare page.
        HttpResponse<byte[]> visit = send(HttpRequest.newBuilder(URI.create(server.url())));
        assertEquals(303, visit.statusCode());
        assertEquals("/", visit.headers().firstValue("Location").orElse(""));
        String cookie = visit.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
        String pair = cookie.substring(0, cookie.indexOf(';'));
        assertEquals("zoetrope_label_" + server.port() + "=" + server.token(), pair);
        HttpResponse<byte[]> page = send(HttpRequest.newBuilder(URI.create(base() + "/")).header("Cookie", "other=1; " + pair));
        assertEquals(200, page.statusCode());
        assertTrue(new String(page.body(), StandardCharsets.UTF_8).contains("Zoetrope clip labelling"));

        // Each run has its own token.
        try (LabelServer second = LabelServer.start("127.0.0.1", 0, store, LabelConfig.defaults(), clips)) {
            assertNotEquals(server.token(), second.token());
            error(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + second.port() + "/api/state"))
                    .header("Authorization", "Bearer " + server.token())), 401);
        }
    }

    // Item 5: Origin and Host.

    @Test
    void foreignOriginsAndHostsAreRefused() throws Exception {
        // The probe's cross-site text/plain POST, here even with a valid cookie: refused for its Origin.
        HttpResponse<byte[]> crossSite = send(HttpRequest.newBuilder(URI.create(base() + "/api/label")).POST(json(GOOD_LABEL))
                .header("Content-Type", "text/plain").header("Origin", "http://evil.example")
                .header("Cookie", "zoetrope_label_" + server.port() + "=" + server.token()));
        assertTrue(error(crossSite, 403).contains("http://evil.example"));
        error(send(authed("/api/label").POST(json(GOOD_LABEL)).header("Content-Type", "application/json").header("Origin", "null")), 403);
        error(send(authed("/api/state").header("Origin", "http://127.0.0.1:" + (server.port() + 1))), 403);
        error(send(authed("/api/label").POST(json(GOOD_LABEL)).header("Content-Type", "application/json")
                .header("Origin", "https://127.0.0.1:" + server.port())), 403);
        // Same origin without JSON's content type: refused too (a form could send that without asking).
        error(send(authed("/api/label").POST(json(GOOD_LABEL)).header("Content-Type", "text/plain")
                .header("Origin", "http://127.0.0.1:" + server.port())), 415);
        assertTrue(store.labels().isEmpty());

        // A rebound DNS name reaches this address but names another host.
        String reply = raw("GET /api/state HTTP/1.1\r\nHost: evil.example:" + server.port() + "\r\nAuthorization: Bearer " + server.token()
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(reply.startsWith("HTTP/1.1 403"), reply);
        assertTrue(reply.contains("{\"error\":\"Host 'evil.example:" + server.port() + "' is not this server"), reply);
        assertTrue(raw("GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:1\r\nAuthorization: Bearer " + server.token()
                + "\r\nConnection: close\r\n\r\n").startsWith("HTTP/1.1 403"));
        assertTrue(raw("GET /api/state HTTP/1.1\r\nHost: localhost:" + server.port() + "\r\nAuthorization: Bearer " + server.token()
                + "\r\nConnection: close\r\n\r\n").startsWith("HTTP/1.1 200"));

        HttpResponse<byte[]> sameOrigin = send(authed("/api/label").POST(json(GOOD_LABEL)).header("Content-Type", "application/json")
                .header("Origin", "http://127.0.0.1:" + server.port()));
        assertEquals(200, sameOrigin.statusCode());
        assertEquals(1, store.labels().size());
    }

    @Test
    void namesGivenWithAllowHostAreAccepted() throws Exception {
        try (LabelServer tunnelled = LabelServer.start("127.0.0.1", 0, List.of("localhost:9000", "labels.lan"), store, LabelConfig.defaults(), clips)) {
            String auth = "\r\nAuthorization: Bearer " + tunnelled.token() + "\r\nConnection: close\r\n\r\n";
            for (String host : List.of("localhost:9000", "labels.lan:" + tunnelled.port()))
                assertTrue(rawTo(tunnelled.port(), "GET /api/state HTTP/1.1\r\nHost: " + host + auth).startsWith("HTTP/1.1 200"), host);
            assertTrue(rawTo(tunnelled.port(), "GET /api/state HTTP/1.1\r\nHost: localhost:9001" + auth).startsWith("HTTP/1.1 403"));
        }
    }

    // Item 5: nothing outside the clips folder, links followed.

    @Test
    void mediaThatResolvesOutsideTheClipsFolderIsRefused() throws Exception {
        for (String path : List.of("/media/leak.mp4", "/media/elsewhere/secret.txt")) {
            HttpResponse<byte[]> r = send(authed(path));
            assertTrue(error(r, 403).contains("outside the clips folder"), path);
            assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains("SECRET"), path);
        }
        for (String path : List.of("/media/../outside/secret.txt", "/media/%2e%2e/outside/secret.txt", "/media/..%2Foutside%2Fsecret.txt",
                "/media/clip0.mp4%00", "/media//etc/passwd")) {
            HttpResponse<byte[]> r = send(authed(path));
            assertTrue(r.statusCode() == 404 || r.statusCode() == 400, path + " gave " + r.statusCode());
            error(r, r.statusCode());
        }
        // A link that stays inside is fine, and so is a clips folder that is itself a link.
        assertArrayEquals(video, send(authed("/media/inside-link.mp4")).body());
        Path linkedRoot = Files.createSymbolicLink(dir.resolve("clips-link"), clips);
        try (LabelServer viaLink = LabelServer.start("127.0.0.1", 0, store, LabelConfig.defaults(), linkedRoot)) {
            String b = "http://127.0.0.1:" + viaLink.port();
            assertArrayEquals(video, send(HttpRequest.newBuilder(URI.create(b + "/media/clip0.mp4"))
                    .header("Authorization", "Bearer " + viaLink.token())).body());
            error(send(HttpRequest.newBuilder(URI.create(b + "/media/leak.mp4")).header("Authorization", "Bearer " + viaLink.token())), 403);
        }
    }

    // Item 5: bodies are capped without being read.

    @Test
    void oversizedBodiesAre413WithoutBeingRead() throws Exception {
        byte[] big = new byte[LabelServer.LABEL_BODY_LIMIT + 1];
        Arrays.fill(big, (byte) ' ');
        HttpResponse<byte[]> r = send(authed("/api/label").POST(HttpRequest.BodyPublishers.ofByteArray(big))
                .header("Content-Type", "application/json"));
        assertTrue(error(r, 413).contains("limit of " + LabelServer.LABEL_BODY_LIMIT));

        // The probe's case: a body of a GiB announced, then streamed. The server answers 413 at once and closes the
        // connection; the client never gets to push more than the socket buffers hold.
        long declared = 1L << 30;
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/label HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nAuthorization: Bearer " + server.token()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + declared + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            AtomicLong written = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    while (written.get() < declared) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // the server closed the connection: what this test expects
                }
            });
            String reply = readReply(s.getInputStream());
            assertTrue(reply.startsWith("HTTP/1.1 413"), reply);
            assertTrue(reply.contains("\"error\":\"the body is larger than the limit"), reply);
            writer.join(30_000);
            assertFalse(writer.isAlive(), "the server kept reading the body");
            assertTrue(written.get() < 64L << 20, "the server read " + written.get() + " bytes of a refused body");
        }

        // Without a length (chunked) it reads up to the limit, not further.
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/import HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nAuthorization: Bearer " + server.token()
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            AtomicLong written = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                byte[] chunk = new byte[64 * 1024];
                Arrays.fill(chunk, (byte) ' ');
                byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                try {
                    while (written.get() < 1L << 30) {
                        out.write(head);
                        out.write(chunk);
                        out.write(new byte[]{'\r', '\n'});
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // closed by the server
                }
            });
            String reply = readReply(s.getInputStream());
            assertTrue(reply.startsWith("HTTP/1.1 413"), reply);
            writer.join(30_000);
            assertFalse(writer.isAlive(), "the server kept reading the body");
            assertTrue(written.get() < LabelServer.IMPORT_BODY_LIMIT + (64L << 20), "wrote " + written.get());
        }
        assertTrue(store.labels().isEmpty());
    }

    // Ranges: exactly the bytes asked for.

    @Test
    void rangesAreByteExact() throws Exception {
        record Case(String range, int from, int to) {}
        for (Case c : List.of(new Case("bytes=0-99", 0, 100), new Case("bytes=99000-", 99_000, 100_000),
                new Case("bytes=-500", 99_500, 100_000), new Case("bytes=-200000", 0, 100_000),
                new Case("bytes=99990-200000", 99_990, 100_000), new Case("bytes=5-5", 5, 6))) {
            HttpResponse<byte[]> r = send(authed("/media/clip0.mp4").header("Range", c.range()));
            assertEquals(206, r.statusCode(), c.range());
            assertEquals("bytes " + c.from() + "-" + (c.to() - 1) + "/100000", r.headers().firstValue("Content-Range").orElse(""), c.range());
            assertArrayEquals(Arrays.copyOfRange(video, c.from(), c.to()), r.body(), c.range());
        }
        for (String unsatisfiable : List.of("bytes=100000-", "bytes=200000-300000", "bytes=-0")) {
            HttpResponse<byte[]> r = send(authed("/media/clip0.mp4").header("Range", unsatisfiable));
            assertTrue(error(r, 416).contains("outside the 100000 bytes"), unsatisfiable);
            assertEquals("bytes */100000", r.headers().firstValue("Content-Range").orElse(""));
        }
        for (String ignored : List.of("", "bytes=abc-", "bytes=0-1,5-6", "items=0-5")) {
            var req = authed("/media/clip0.mp4");
            if (!ignored.isEmpty()) req.header("Range", ignored);
            HttpResponse<byte[]> r = send(req);
            assertEquals(200, r.statusCode(), ignored);
            assertArrayEquals(video, r.body(), ignored);
            assertEquals("bytes", r.headers().firstValue("Accept-Ranges").orElse(""));
        }
        HttpResponse<byte[]> head = send(authed("/media/clip0.mp4").method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Range", "bytes=-10"));
        assertEquals(206, head.statusCode());
        assertEquals("10", head.headers().firstValue("Content-Length").orElse(""));
        assertEquals(0, head.body().length);
    }

    // Names with %, +, spaces, newlines and more play.

    @Test
    void clipsWithOddNamesPlay() throws Exception {
        JsonNode state = Json.PLAIN.readTree(send(authed("/api/state?annotator=" + "a%2Bb%20c")).body());
        int seen = 0;
        for (JsonNode c : state.path("clips")) {
            String id = c.path("id").asText();
            int i = ODD.indexOf(id);
            if (i < 0) continue;
            seen++;
            String url = c.path("video").asText();
            assertFalse(url.contains("+") || url.contains(" ") || url.contains("\n"), url);
            HttpResponse<byte[]> r = send(authed(url));
            assertEquals(200, r.statusCode(), id);
            assertArrayEquals(Arrays.copyOfRange(video, i, i + 1000 + i), r.body(), id);
        }
        assertEquals(ODD.size(), seen);
        for (JsonNode c : state.path("clips"))
            if (c.path("id").asText().equals("clip0")) assertEquals("/media/clip0.png", c.path("strip").asText());
        // An encoded slash does not add a level; a literal '+' is not a space.
        Files.write(Files.createDirectories(clips.resolve("sub")).resolve("x.mp4"), new byte[]{1, 2, 3});
        error(send(authed("/media/sub%2Fx.mp4")), 404);
        assertArrayEquals(new byte[]{1, 2, 3}, send(authed("/media/sub/x.mp4")).body());
        assertEquals(1000 + 3, send(authed("/media/x+y.mp4")).body().length);
        error(send(authed("/media/x%20y.mp4")), 404);
        // Labels of an odd-named clip and an odd annotator name go through.
        String body = Json.PLAIN.writeValueAsString(Map.of("clip_id", "two\nlines", "annotator", "a+b c", "values", Map.of("text", "no")));
        assertEquals(200, send(authed("/api/label").POST(json(body)).header("Content-Type", "application/json")).statusCode());
        JsonNode mine = Json.PLAIN.readTree(send(authed("/api/state?annotator=a%2Bb%20c")).body());
        assertEquals("no", mine.path("labels").path("two\nlines").path("text").asText());
    }

    private String raw(String request) throws IOException {
        return rawTo(server.port(), request);
    }

    private static String rawTo(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            return readReply(s.getInputStream());
        }
    }

    /** Status line, headers and a Content-Length body. */
    private static String readReply(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.size() >= 4 && new String(head.toByteArray(), head.size() - 4, 4, StandardCharsets.US_ASCII).equals("\r\n\r\n")) break;
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        int length = 0;
        for (String line : headers.split("\r\n"))
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) length = Integer.parseInt(line.substring(15).strip());
        return headers + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
