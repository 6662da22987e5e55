package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** The HTTP API end to end against a running server with the test-pattern generator. */
class ServiceApiTest {
    @TempDir
    static Path data;
    static ZoetropeServer server;
    static TestPatternGenerator model;
    static ServiceClient client;
    static String alice;
    static String bob;

    @BeforeAll
    static void start() {
        model = new TestPatternGenerator(20);
        server = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0), model);
        client = new ServiceClient(server.uri());
        alice = server.keys().add("alice").secret();
        bob = server.keys().add("bob").secret();
    }

    @AfterAll
    static void stop() {
        server.close();
        assertFalse(model.overlapped(), "generate calls on the shared model overlapped");
    }

    @Test
    void submitRunsToDoneAndServesAnMp4WithRanges() {
        var submitted = client.post("/v1/videos", alice, "{\"prompt\":\"a red kite\",\"steps\":3,\"seed\":7}");
        assertEquals(202, submitted.status());
        String id = submitted.json().get("id").asText();
        assertEquals("/v1/videos/" + id, submitted.header("Location"));

        JsonNode job = client.awaitFinal(alice, id, Duration.ofSeconds(30));
        assertEquals("done", job.get("status").asText(), job.toString());
        assertEquals(1.0, job.get("progress").asDouble());
        assertEquals("a red kite", job.at("/params/prompt").asText());
        assertEquals(3, job.at("/params/steps").asInt());
        assertEquals(7, job.at("/params/seed").asLong());
        assertEquals("64p", job.at("/params/resolution").asText(), "default resolution filled in");
        assertEquals(17, job.at("/result/frames").asInt());

        var full = client.get("/v1/videos/" + id + "/content", alice);
        assertEquals(200, full.status());
        assertEquals("video/mp4", full.header("Content-Type"));
        assertEquals("bytes", full.header("Accept-Ranges"));
        byte[] mp4 = full.body();
        assertTrue(mp4.length > 200, "mp4 of " + mp4.length + " bytes");
        assertEquals("ftyp", new String(mp4, 4, 4, StandardCharsets.US_ASCII));
        assertEquals(job.at("/result/bytes").asLong(), mp4.length);

        var head = client.send(client.request("/v1/videos/" + id + "/content", alice).method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, head.status());
        assertEquals(String.valueOf(mp4.length), head.header("Content-Length"));

        var part = client.send(client.request("/v1/videos/" + id + "/content", alice).header("Range", "bytes=100-199").GET());
        assertEquals(206, part.status());
        assertEquals("bytes 100-199/" + mp4.length, part.header("Content-Range"));
        assertArrayEquals(java.util.Arrays.copyOfRange(mp4, 100, 200), part.body());

        var suffix = client.send(client.request("/v1/videos/" + id + "/content", alice).header("Range", "bytes=-10").GET());
        assertEquals(206, suffix.status());
        assertArrayEquals(java.util.Arrays.copyOfRange(mp4, mp4.length - 10, mp4.length), suffix.body());

        var open = client.send(client.request("/v1/videos/" + id + "/content", alice).header("Range", "bytes=" + (mp4.length - 5) + "-").GET());
        assertEquals(206, open.status());
        assertEquals(5, open.body().length);

        var beyond = client.send(client.request("/v1/videos/" + id + "/content", alice).header("Range", "bytes=" + mp4.length + "-").GET());
        assertEquals(416, beyond.status());
        assertEquals("bytes */" + mp4.length, beyond.header("Content-Range"));

        assertTrue(Files.exists(data.resolve("videos").resolve(id + ".mp4")));
        try (var leftovers = Files.list(data.resolve("work"))) {
            assertEquals(0, leftovers.count(), "no partial outputs remain");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void writesAndReadsNeedAValidKey() {
        var noKey = client.post("/v1/videos", null, "{\"prompt\":\"x\"}");
        assertEquals(401, noKey.status());
        assertNotNull(noKey.header("WWW-Authenticate"));
        assertEquals(401, client.post("/v1/videos", "zt_000000000000_" + "0".repeat(48), "{\"prompt\":\"x\"}").status());
        assertEquals(401, client.post("/v1/videos", "not-a-key", "{\"prompt\":\"x\"}").status());
        assertEquals(401, client.get("/v1/videos", null).status());

        String id = client.submit(alice, "{\"prompt\":\"x\",\"steps\":1}");
        assertEquals(401, client.get("/v1/videos/" + id, null).status());
        var withHeader = client.send(client.request("/v1/videos/" + id, null).header("X-API-Key", alice).GET());
        assertEquals(200, withHeader.status());

        // A revoked key stops working at once.
        var carol = server.keys().add("carol");
        assertEquals(200, client.get("/v1/videos", carol.secret()).status());
        assertTrue(server.keys().revoke(carol.info().id()));
        assertEquals(401, client.get("/v1/videos", carol.secret()).status());
    }

    @Test
    void anotherKeysJobIsForbidden() {
        String id = client.submit(alice, "{\"prompt\":\"mine\",\"steps\":1}");
        assertEquals(403, client.get("/v1/videos/" + id, bob).status());
        assertEquals(403, client.delete("/v1/videos/" + id, bob).status());
        client.awaitFinal(alice, id, Duration.ofSeconds(30));
        assertEquals(403, client.get("/v1/videos/" + id + "/content", bob).status());
        assertEquals(403, client.get("/v1/videos/" + id + "/events", bob).status());
        var list = client.get("/v1/videos?limit=100", bob).json();
        for (JsonNode item : list.get("items")) assertNotEquals(id, item.get("id").asText(), "bob's list shows alice's job");
    }

    @Test
    void unknownJobsAndPathsAre404() {
        assertEquals(404, client.get("/v1/videos/0123456789abcdef0123", alice).status());
        assertEquals(404, client.get("/v1/videos/0123456789abcdef0123/content", alice).status());
        assertEquals(404, client.delete("/v1/videos/0123456789abcdef0123", alice).status());
        assertEquals(404, client.get("/nothing-here", null).status());
    }

    @Test
    void invalidFieldsAre400WithFieldErrors() {
        assertFieldError("{\"prompt\":\"\"}", "prompt");
        assertFieldError("{\"prompt\":\"   \"}", "prompt");
        assertFieldError("{}", "prompt");
        assertFieldError("{\"prompt\":\"" + "a".repeat(2001) + "\"}", "prompt");
        assertFieldError("{\"prompt\":\"ok\",\"resolution\":\"8k\"}", "resolution");
        assertFieldError("{\"prompt\":\"ok\",\"duration\":99}", "duration");
        assertFieldError("{\"prompt\":\"ok\",\"duration\":0.5}", "duration");
        assertFieldError("{\"prompt\":\"ok\",\"steps\":0}", "steps");
        assertFieldError("{\"prompt\":\"ok\",\"steps\":51}", "steps");
        assertFieldError("{\"prompt\":\"ok\",\"steps\":2.5}", "steps");
        assertFieldError("{\"prompt\":\"ok\",\"seed\":\"abc\"}", "seed");
        assertFieldError("{\"prompt\":\"ok\",\"seed\":1.5}", "seed");
        assertFieldError("{\"prompt\":\"ok\",\"seed\":-2}", "seed");
        assertFieldError("{\"prompt\":\"ok\",\"cfg\":\"high\"}", "cfg");
        assertFieldError("{\"prompt\":\"ok\",\"format\":\"gif\"}", "format");
        assertFieldError("{\"prompt\":\"ok\",\"colour\":\"red\"}", "colour");
        assertFieldError("{\"prompt\":\"ok\"", "body");
        assertFieldError("[1,2]", "body");
        assertFieldError("", "body");

        // Several bad fields are reported together.
        var r = client.post("/v1/videos", alice, "{\"prompt\":\"\",\"steps\":1000,\"seed\":\"x\"}");
        assertEquals(400, r.status());
        Set<String> fields = new HashSet<>();
        r.json().get("errors").forEach(e -> fields.add(e.get("field").asText()));
        assertEquals(Set.of("prompt", "steps", "seed"), fields);

        // -1 asks for a random seed, drawn at submission and stored with the job, so it can be made again.
        JsonNode a = client.get("/v1/videos/" + client.submit(alice, "{\"prompt\":\"ok\",\"seed\":-1,\"steps\":1}"), alice).json();
        JsonNode b = client.get("/v1/videos/" + client.submit(alice, "{\"prompt\":\"ok\",\"seed\":\"-1\",\"steps\":1}"), alice).json();
        long seedA = a.at("/params/seed").asLong(), seedB = b.at("/params/seed").asLong();
        assertTrue(seedA >= 0 && seedB >= 0, a + " " + b);
        assertNotEquals(seedA, seedB, "two random seeds");
        assertEquals(TestPatternGenerator.CAPS.defaultSeed(),
                client.get("/v1/videos/" + client.submit(alice, "{\"prompt\":\"ok\",\"steps\":1}"), alice).json().at("/params/seed").asLong(),
                "no seed: the model's default");

        // A seed as a string of digits is accepted (JavaScript cannot hold every 64-bit integer).
        assertEquals(202, client.post("/v1/videos", alice, "{\"prompt\":\"ok\",\"seed\":\"9007199254740993\",\"steps\":1}").status());
        assertEquals(400, client.get("/v1/videos?limit=0", alice).status());
        assertEquals(400, client.get("/v1/videos?cursor=abc", alice).status());
    }

    private static void assertFieldError(String body, String field) {
        var r = client.post("/v1/videos", alice, body);
        assertEquals(400, r.status(), body);
        JsonNode errors = r.json().get("errors");
        assertNotNull(errors, body);
        List<String> fields = new ArrayList<>();
        errors.forEach(e -> {
            fields.add(e.get("field").asText());
            assertFalse(e.get("message").asText().isBlank());
        });
        assertTrue(fields.contains(field), body + " → " + errors);
    }

    @Test
    void oversizedBodyIs413() {
        String big = "{\"prompt\":\"" + "a".repeat(20_000) + "\"}";
        var r = client.post("/v1/videos", alice, big);
        assertEquals(413, r.status());
        assertEquals("body", r.json().at("/errors/0/field").asText());
    }

    @Test
    void fullQueueIs429(@TempDir Path other) {
        TestPatternGenerator slow = new TestPatternGenerator(2000);
        try (ZoetropeServer small = ZoetropeServer.start(ServeOptions.defaults(other).withPort(0).withQueueLimit(2)
                .withShutdownGrace(Duration.ZERO), slow)) {
            ServiceClient c = new ServiceClient(small.uri());
            String key = small.keys().add("k").secret();
            String first = c.submit(key, "{\"prompt\":\"one\",\"steps\":10}");
            // The worker takes the first job on its own thread; until it has, the second is not yet next in line.
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!c.get("/v1/videos/" + first, key).json().get("status").asText().equals("running")) {
                assertTrue(System.nanoTime() < deadline, "first job never started");
                Thread.onSpinWait();
            }
            String second = c.submit(key, "{\"prompt\":\"two\",\"steps\":10}");
            assertEquals(1, c.get("/v1/videos/" + second, key).json().get("queue_position").asInt(), "next in line");
            var full = c.post("/v1/videos", key, "{\"prompt\":\"three\"}");
            assertEquals(429, full.status());
            assertNotNull(full.header("Retry-After"));
            // Cancelling a queued job frees its place.
            assertEquals("cancelled", c.delete("/v1/videos/" + second, key).json().get("status").asText());
            assertEquals(202, c.post("/v1/videos", key, "{\"prompt\":\"three\",\"steps\":1}").status());
        }
    }

    @Test
    void cancelStopsARunningJob() {
        String id = client.submit(alice, "{\"prompt\":\"long\",\"steps\":50}");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!client.get("/v1/videos/" + id, alice).json().get("status").asText().equals("running")) {
            assertTrue(System.nanoTime() < deadline, "job never started");
            Thread.onSpinWait();
        }
        var r = client.delete("/v1/videos/" + id, alice);
        assertEquals(200, r.status());
        assertEquals("running", r.json().get("status").asText(), "a running job stops at its next step, after the answer");
        assertTrue(r.json().path("cancel_requested").asBoolean(), r.json().toString());
        JsonNode job = client.awaitFinal(alice, id, Duration.ofSeconds(20));
        assertEquals("cancelled", job.get("status").asText());
        assertEquals(409, client.get("/v1/videos/" + id + "/content", alice).status(), "no content for a cancelled job");
        assertFalse(Files.exists(data.resolve("videos").resolve(id + ".mp4")));
        // Cancelling again is harmless; cancelling a finished job is a conflict.
        assertEquals(200, client.delete("/v1/videos/" + id, alice).status());
        String done = client.submit(alice, "{\"prompt\":\"short\",\"steps\":1}");
        client.awaitFinal(alice, done, Duration.ofSeconds(20));
        assertEquals(409, client.delete("/v1/videos/" + done, alice).status());
    }

    @Test
    void aGeneratorFailureEndsTheJobAsFailedWithItsReason() throws Exception {
        var submitted = client.post("/v1/videos", alice, "{\"prompt\":\"" + TestPatternGenerator.FAIL + "\",\"steps\":1}").json();
        String id = submitted.get("id").asText();
        JsonNode job = client.awaitFinal(alice, id, Duration.ofSeconds(20));
        assertEquals("failed", job.get("status").asText());
        assertTrue(job.get("error").asText().contains("asked to fail"), job.toString());
        assertEquals(409, client.get("/v1/videos/" + id + "/content", alice).status());
        assertFalse(job.at("/links").has("content"));
        String events = new String(client.get(submitted.at("/links/events").asText(), null).body(), StandardCharsets.UTF_8);
        assertTrue(events.contains("event: failed"), events);
        assertEquals(409, client.delete("/v1/videos/" + id, alice).status());
        // The worker goes on with the next job.
        assertEquals("done", client.awaitFinal(alice, client.submit(alice, "{\"prompt\":\"after\",\"steps\":1}"),
                Duration.ofSeconds(20)).get("status").asText());
    }

    @Test
    void aFailureIsTheRequestsFaultOnlyWhenTheModelSaysSo() {
        // The model refuses the request: the submitter's to fix.
        JsonNode invalid = finalJob("{\"prompt\":\"" + TestPatternGenerator.INVALID + "\",\"steps\":1}");
        assertEquals("failed", invalid.get("status").asText());
        assertEquals("invalid request for this model: this model cannot draw that", invalid.get("error").asText());

        // An IllegalArgumentException from inside the model is a bug, not a bad request.
        JsonNode bug = finalJob("{\"prompt\":\"" + TestPatternGenerator.BUG + "\",\"steps\":1}");
        assertEquals("failed", bug.get("status").asText());
        String error = bug.get("error").asText();
        assertTrue(error.startsWith("generation failed: java.lang.IllegalArgumentException: index 7"), error);
        assertFalse(error.contains("invalid request"), error);

        // A broken model directory is bad input too, but the operator's, not the submitter's.
        JsonNode broken = finalJob("{\"prompt\":\"" + TestPatternGenerator.BROKEN_MODEL + "\",\"steps\":1}");
        assertEquals("failed", broken.get("status").asText());
        assertTrue(broken.get("error").asText().startsWith("generation failed: ") && broken.get("error").asText().contains("shared.weight"),
                broken.toString());
    }

    private static JsonNode finalJob(String body) {
        return client.awaitFinal(alice, client.submit(alice, body), Duration.ofSeconds(20));
    }

    @Test
    void listPagesThroughOwnJobsNewestFirst() {
        String key = server.keys().add("pager").secret();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) ids.add(client.submit(key, "{\"prompt\":\"p" + i + "\",\"steps\":1}"));
        List<String> seen = new ArrayList<>();
        String cursor = "";
        int pages = 0;
        do {
            JsonNode page = client.get("/v1/videos?limit=2&cursor=" + cursor, key).json();
            page.get("items").forEach(j -> seen.add(j.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            pages++;
        } while (cursor != null);
        assertEquals(3, pages);
        assertEquals(ids.reversed(), seen);
    }

    @Test
    void eventsStreamProgressUntilDone() throws Exception {
        var submitted = client.post("/v1/videos", alice, "{\"prompt\":\"streamed\",\"steps\":5}").json();
        String events = submitted.at("/links/events").asText();
        assertTrue(events.contains("token="), events);
        // The signed link works without a key, as a browser's EventSource uses it.
        HttpRequest req = HttpRequest.newBuilder(server.uri().resolve(events)).timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<java.io.InputStream> resp = client.http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, resp.statusCode());
        assertTrue(resp.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> types = new ArrayList<>();
        List<Double> progress = new ArrayList<>();
        try (var in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: ")) types.add(line.substring(7));
                if (line.startsWith("data: ")) progress.add(ServiceClient.JSON.readTree(line.substring(6)).get("progress").asDouble());
            }
        }
        assertEquals("done", types.getLast(), types.toString());
        assertEquals(1.0, progress.getLast());
        for (int i = 1; i < progress.size(); i++) assertTrue(progress.get(i) >= progress.get(i - 1), progress.toString());
        assertTrue(types.size() >= 3, "expected several progress events: " + types);

        // Content through the signed link; a tampered token is refused.
        JsonNode job = client.get("/v1/videos/" + submitted.get("id").asText(), alice).json();
        String content = job.at("/links/content").asText();
        assertEquals(200, client.get(content, null).status());
        // Flip the last hex digit: replacing it with a fixed one leaves the token valid when it already was that digit.
        char last = content.charAt(content.length() - 1);
        String tampered = content.substring(0, content.length() - 1) + (last == '0' ? '1' : '0');
        assertEquals(401, client.get(tampered, null).status());
    }

    @Test
    void operationsEndpoints() throws Exception {
        var health = client.get("/healthz", null);
        assertEquals(200, health.status());
        assertEquals("ok", health.json().get("status").asText());

        client.awaitFinal(alice, client.submit(alice, "{\"prompt\":\"metric\",\"steps\":2}"), Duration.ofSeconds(20));
        String metrics = new String(client.get("/metrics", null).body(), StandardCharsets.UTF_8);
        assertTrue(metrics.contains("# TYPE zoetrope_queue_length gauge"), metrics);
        assertTrue(metrics.matches("(?s).*zoetrope_jobs\\{status=\"done\"} [1-9].*"), metrics);
        assertTrue(metrics.matches("(?s).*zoetrope_step_seconds_count [1-9].*"), metrics);
        assertTrue(metrics.contains("zoetrope_step_seconds_bucket{le=\"+Inf\"}"), metrics);

        JsonNode api = client.get("/openapi.json", null).json();
        assertTrue(api.get("openapi").asText().startsWith("3."));
        for (String p : List.of("/v1/videos", "/v1/videos/{id}", "/v1/videos/{id}/content", "/v1/videos/{id}/events",
                "/healthz", "/metrics", "/v1/capabilities"))
            assertTrue(api.at("/paths").has(p), "OpenAPI lacks " + p);
        // every answer above was checked against the document by the client (ApiContract); the check has teeth:
        // the real job view conforms, the same view with a wrong field or an undocumented status does not
        String id = client.submit(alice, "{\"prompt\":\"contract\",\"steps\":1}");
        var job = client.get("/v1/videos/" + id, alice);
        var json = java.net.http.HttpHeaders.of(java.util.Map.of("Content-Type", List.of("application/json")), (a, b) -> true);
        assertEquals(List.of(), ApiContract.problems("GET", "/v1/videos/" + id, 200, json, job.body()));
        var broken = (com.fasterxml.jackson.databind.node.ObjectNode) job.json();
        broken.put("progress", "half");
        assertFalse(ApiContract.problems("GET", "/v1/videos/" + id, 200, json, broken.toString().getBytes(StandardCharsets.UTF_8)).isEmpty(),
                "a progress that is not a number breaks the Job schema");
        assertFalse(ApiContract.problems("GET", "/v1/videos/" + id, 418, json, job.body()).isEmpty(), "418 is not documented");
        assertFalse(ApiContract.problems("GET", "/v1/capabilities", 200, json, "{\"steps\":\"many\"}".getBytes(StandardCharsets.UTF_8))
                .isEmpty(), "capabilities with steps as text");

        JsonNode caps = client.get("/v1/capabilities", null).json();
        assertEquals(50, caps.at("/steps/max").asInt());

        var page = client.get("/", null);
        assertEquals(200, page.status());
        assertTrue(new String(page.body(), StandardCharsets.UTF_8).contains("<video"));
        assertNotNull(page.header("Content-Security-Policy"));
        assertEquals(405, client.post("/healthz", null, "{}").status());
    }
}
