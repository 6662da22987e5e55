package dev.zoetrope.curate.vlm;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.testset.Scene;

/**
 * Exercises the chat-completions protocol against a TEST DOUBLE: a local JDK HTTP server on 127.0.0.1 that imitates an
 * OpenAI-compatible endpoint (it fails on demand, checks the request shape and answers with canned JSON). No real
 * model is contacted.
 */
class ChatClientTest {
    @TempDir
    Path dir;

    private HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();
    private final List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile int failFirst;
    private volatile int failStatus = 503;
    private volatile long delayMs;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            try (ex) {
                int n = calls.incrementAndGet();
                requests.add(Json.PLAIN.readTree(ex.getRequestBody().readAllBytes()));
                if (delayMs > 0) Thread.sleep(delayMs);
                byte[] body;
                int status;
                if (n <= failFirst) {
                    status = failStatus;
                    body = "{\"error\":\"busy\"}".getBytes(StandardCharsets.UTF_8);
                } else {
                    status = 200;
                    body = """
                            {"choices":[{"message":{"role":"assistant","content":"{\\"caption\\": \\"a blue disc drifts right\\", \\"keep\\": false, \\"reason\\": \\"static\\"}"}}]}"""
                            .getBytes(StandardCharsets.UTF_8);
                }
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private ChatClient.Settings settings() {
        return ChatClient.Settings.of(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1"), "test-vlm")
                .withRetry(3, Duration.ofMillis(20), Duration.ofSeconds(2)).withRate(100);
    }

    private static List<Picture> frames() {
        Scene s = new Scene(5, 220, 1);
        List<Picture> clip = new ArrayList<>();
        for (int i = 0; i < 12; i++) clip.add(s.render(i, 32, 18));
        return VlmStage.sample(clip, 3);
    }

    @Test
    void sendsFramesAsImageUrlPartsParsesTheVerdictAndCachesByClipHash() {
        VlmStage stage = new VlmStage(new ChatClient(settings().withApiKey("k")), dir);
        VlmStage.Verdict v = stage.ask(frames());
        assertEquals("a blue disc drifts right", v.caption());
        assertFalse(v.keep());
        assertFalse(v.cached());
        JsonNode content = requests.getFirst().path("messages").path(0).path("content");
        assertEquals("text", content.path(0).path("type").asText());
        assertEquals(4, content.size());
        assertTrue(content.path(1).path("image_url").path("url").asText().startsWith("data:image/png;base64,iVBOR"));
        assertEquals("test-vlm", requests.getFirst().path("model").asText());

        VlmStage.Verdict again = new VlmStage(new ChatClient(settings()), dir).ask(frames());
        assertTrue(again.cached());
        assertEquals(1, calls.get(), "a cached clip must not be sent again");
    }

    @Test
    void retriesServerErrorsWithBackoffThenSucceeds() {
        failFirst = 2;
        long t0 = System.nanoTime();
        String answer = new ChatClient(settings()).complete("hi", List.of());
        assertTrue(answer.contains("blue disc"));
        assertEquals(3, calls.get());
        // Two waits: 20 ms then 40 ms.
        assertTrue((System.nanoTime() - t0) / 1e6 >= 55);
    }

    @Test
    void clientErrorsFailAtOnceAndTimeoutsAreRetriedThenReported() {
        failFirst = 100;
        failStatus = 400;
        VlmException e = assertThrows(VlmException.class, () -> new ChatClient(settings()).complete("hi", List.of()));
        assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
        assertEquals(1, calls.get());

        calls.set(0);
        failFirst = 0;
        delayMs = 400;
        ChatClient slow = new ChatClient(settings().withRetry(1, Duration.ofMillis(10), Duration.ofMillis(150)));
        VlmException t = assertThrows(VlmException.class, () -> slow.complete("hi", List.of()));
        assertTrue(t.getMessage().contains("timed out"), t.getMessage());
        assertEquals(2, calls.get());
    }

    @Test
    void theTokenBucketHoldsTheRate() throws Exception {
        TokenBucket bucket = new TokenBucket(1, 20);
        long t0 = System.nanoTime();
        for (int i = 0; i < 6; i++) bucket.acquire();
        double seconds = (System.nanoTime() - t0) / 1e9;
        // One token at once, then five more at 20 per second: at least 0.25 s.
        assertTrue(seconds >= 0.24, "took " + seconds);
    }
}
