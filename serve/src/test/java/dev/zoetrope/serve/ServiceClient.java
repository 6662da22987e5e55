package dev.zoetrope.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A small HTTP client for the service's tests; it checks every response against openapi.json ({@link ApiContract}). */
final class ServiceClient {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final URI base;

    ServiceClient(URI base) {
        this.base = base;
    }

    record Reply(int status, HttpResponse<byte[]> response) {
        JsonNode json() {
            try {
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + new String(response.body()), e);
            }
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        byte[] body() {
            return response.body();
        }
    }

    HttpRequest.Builder request(String path, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return b;
    }

    Reply send(HttpRequest.Builder b) {
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            // every answer a test gets must be one openapi.json allows
            ApiContract.check(r);
            return new Reply(r.statusCode(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Reply get(String path, String key) {
        return send(request(path, key).GET());
    }

    Reply post(String path, String key, String json) {
        return send(request(path, key).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Reply delete(String path, String key) {
        return send(request(path, key).DELETE());
    }

    /** Submits {@code json} and returns the new job's id, failing unless the answer is 202. */
    String submit(String key, String json) {
        Reply r = post("/v1/videos", key, json);
        if (r.status() != 202) throw new AssertionError("expected 202, got " + r.status() + ": " + new String(r.body()));
        return r.json().get("id").asText();
    }

    /** Polls the job until it reaches a final status or {@code timeout} passes; returns its last view. */
    JsonNode awaitFinal(String key, String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Reply r = get("/v1/videos/" + id, key);
            if (r.status() != 200) throw new AssertionError("GET job " + id + ": " + r.status());
            JsonNode job = r.json();
            String s = job.get("status").asText();
            if (s.equals("done") || s.equals("failed") || s.equals("cancelled")) return job;
            if (System.nanoTime() > deadline) throw new AssertionError("job " + id + " still " + s + " after " + timeout);
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
