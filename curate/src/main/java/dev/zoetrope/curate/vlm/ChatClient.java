package dev.zoetrope.curate.vlm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;

/**
 * A client for an OpenAI-compatible {@code POST {base}/chat/completions}: one user message holding the prompt as a
 * text part and each image as an {@code image_url} part with a base64 PNG data URL. Failures that may pass (timeouts,
 * connection errors, HTTP 429 and 5xx) are retried with exponential backoff (honouring {@code Retry-After});
 * other HTTP errors fail at once. Every attempt first takes a token from the rate limiter.
 */
public final class ChatClient {
    /** Endpoint settings. {@code apiKey} may be null for local servers. */
    public record Settings(URI base, String model, String apiKey, Duration timeout, int maxRetries, Duration backoff,
                           double requestsPerSecond, int maxTokens) {
        public static Settings of(URI base, String model) {
            return new Settings(base, model, null, Duration.ofSeconds(60), 4, Duration.ofMillis(500), 2.0, 200);
        }

        public Settings withRetry(int maxRetries, Duration backoff, Duration timeout) {
            return new Settings(base, model, apiKey, timeout, maxRetries, backoff, requestsPerSecond, maxTokens);
        }

        public Settings withRate(double requestsPerSecond) {
            return new Settings(base, model, apiKey, timeout, maxRetries, backoff, requestsPerSecond, maxTokens);
        }

        public Settings withApiKey(String key) {
            return new Settings(base, model, key, timeout, maxRetries, backoff, requestsPerSecond, maxTokens);
        }
    }

    private final Settings settings;
    private final HttpClient http;
    private final TokenBucket limiter;
    private final URI endpoint;

    public ChatClient(Settings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
        this.limiter = new TokenBucket(Math.max(1, settings.requestsPerSecond()), settings.requestsPerSecond());
        String b = settings.base().toString();
        this.endpoint = URI.create((b.endsWith("/") ? b : b + "/") + "chat/completions");
    }

    public Settings settings() {
        return settings;
    }

    /** The request body for a prompt and PNG images. */
    public ObjectNode body(String prompt, List<byte[]> pngs) {
        ObjectNode body = Json.PLAIN.createObjectNode();
        body.put("model", settings.model());
        body.put("max_tokens", settings.maxTokens());
        body.put("temperature", 0);
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        content.addObject().put("type", "text").put("text", prompt);
        for (byte[] png : pngs)
            content.addObject().put("type", "image_url").putObject("image_url")
                    .put("url", "data:image/png;base64," + Base64.getEncoder().encodeToString(png));
        return body;
    }

    /** Sends the prompt and images; returns the first choice's message content. */
    public String complete(String prompt, List<byte[]> pngs) {
        byte[] payload;
        try {
            payload = Json.PLAIN.writeValueAsBytes(body(prompt, pngs));
        } catch (IOException e) {
            throw new VlmException("cannot encode the request: " + e.getMessage(), e);
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(endpoint).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        if (settings.apiKey() != null && !settings.apiKey().isBlank()) req.header("Authorization", "Bearer " + settings.apiKey());
        String lastProblem = "";
        for (int attempt = 0; attempt <= settings.maxRetries(); attempt++) {
            long waitMs = settings.backoff().toMillis() << Math.min(attempt, 10);
            try {
                limiter.acquire();
                HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                int code = r.statusCode();
                if (code == 200) return content(r.body());
                lastProblem = "HTTP " + code + ": " + abbreviate(r.body());
                if (code != 429 && code < 500) throw new VlmException(endpoint + ": " + lastProblem);
                var retryAfter = r.headers().firstValue("Retry-After");
                if (retryAfter.isPresent()) {
                    try {
                        waitMs = Math.max(waitMs, (long) (Double.parseDouble(retryAfter.get()) * 1000));
                    } catch (NumberFormatException ignored) {
                        // An HTTP-date Retry-After: the exponential backoff stands.
                    }
                }
            } catch (HttpTimeoutException e) {
                lastProblem = "timed out after " + settings.timeout().toMillis() + " ms";
            } catch (IOException e) {
                lastProblem = "connection failed: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VlmException(endpoint + ": interrupted", e);
            }
            if (attempt < settings.maxRetries()) {
                try {
                    Thread.sleep(waitMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new VlmException(endpoint + ": interrupted", e);
                }
            }
        }
        throw new VlmException(endpoint + ": gave up after " + (settings.maxRetries() + 1) + " attempts; last: " + lastProblem);
    }

    private String content(String body) {
        try {
            JsonNode root = Json.PLAIN.readTree(body);
            JsonNode c = root.path("choices").path(0).path("message").path("content");
            if (c.isMissingNode() || c.isNull()) throw new VlmException(endpoint + ": answer has no choices[0].message.content: " + abbreviate(body));
            return c.asText();
        } catch (IOException e) {
            throw new VlmException(endpoint + ": answer is not JSON: " + abbreviate(body), e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
