package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.models.dit.Lora;

/**
 * Per-request LoRA adapters: a request names adapters of the server's folder, each job gets exactly its own (applied on
 * the fly by the generator), and names that are unknown, escape the folder or come in excess are refused field by field.
 */
class ServiceLoraTest {
    @TempDir
    static Path data;
    @TempDir
    static Path adapters;
    @TempDir
    static Path outside;
    static ZoetropeServer server;
    static TestPatternGenerator model;
    static ServiceClient client;
    static String key;

    @BeforeAll
    static void start() throws Exception {
        Files.write(adapters.resolve("pink.safetensors"), new byte[]{1});
        Files.write(adapters.resolve("style.v2.safetensors"), new byte[]{2});
        Files.write(outside.resolve("secret.safetensors"), new byte[]{3});
        Files.createSymbolicLink(adapters.resolve("escape.safetensors"), outside.resolve("secret.safetensors"));
        Files.write(adapters.resolve("notes.txt"), new byte[]{4});
        model = new TestPatternGenerator(5);
        server = ZoetropeServer.start(ServeOptions.defaults(data).withPort(0), model, LoraCatalog.of(adapters));
        client = new ServiceClient(server.uri());
        key = server.keys().add("alice").secret();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void eachJobGetsTheAdaptersItNames() {
        JsonNode caps = client.get("/v1/capabilities", key).json();
        assertEquals(List.of("pink", "style.v2"), List.of(caps.at("/loras/0").asText(), caps.at("/loras/1").asText()));
        assertEquals(2, caps.get("loras").size(), "a link out of the folder and other files are not offered: " + caps.get("loras"));

        String with = client.post("/v1/videos", key, "{\"prompt\":\"a pink kite\",\"steps\":2,\"loras\":[{\"name\":\"pink\",\"strength\":0.5},"
                + "{\"name\":\"style.v2\"}]}").json().get("id").asText();
        JsonNode done = client.awaitFinal(key, with, Duration.ofSeconds(30));
        assertEquals("done", done.get("status").asText(), done.toString());
        assertEquals("pink", done.at("/params/loras/0/name").asText());
        assertEquals(0.5, done.at("/params/loras/0/strength").asDouble());
        assertEquals(1.0, done.at("/params/loras/1/strength").asDouble(), "strength 1 unless given");
        String without = client.post("/v1/videos", key, "{\"prompt\":\"a plain kite\",\"steps\":2}").json().get("id").asText();
        assertEquals("done", client.awaitFinal(key, without, Duration.ofSeconds(30)).get("status").asText());

        List<List<Lora>> calls = List.copyOf(model.adapters);
        assertEquals(2, calls.size());
        Path pink = adapters.resolve("pink.safetensors"), style = adapters.resolve("style.v2.safetensors");
        assertEquals(2, calls.get(0).size());
        assertEquals(0.5, calls.get(0).get(0).strength());
        assertTrue(sameFile(pink, calls.get(0).get(0).file()));
        assertTrue(sameFile(style, calls.get(0).get(1).file()));
        assertEquals(List.of(), calls.get(1), "the next job runs on the base weights alone");
    }

    @Test
    void badAdapterNamesAreRefusedFieldByField() {
        for (String body : List.of("{\"prompt\":\"x\",\"loras\":[{\"name\":\"missing\"}]}",
                "{\"prompt\":\"x\",\"loras\":[{\"name\":\"../outside/secret\"}]}",
                "{\"prompt\":\"x\",\"loras\":[{\"name\":\"escape\"}]}",
                "{\"prompt\":\"x\",\"loras\":[{\"name\":\"notes\"}]}",
                "{\"prompt\":\"x\",\"loras\":[{\"name\":\"pink\",\"strength\":\"high\"}]}",
                "{\"prompt\":\"x\",\"loras\":[{\"name\":\"pink\",\"strength\":1e9}]}",
                "{\"prompt\":\"x\",\"loras\":[{\"name\":\"pink\",\"scale\":1}]}",
                "{\"prompt\":\"x\",\"loras\":\"pink\"}",
                "{\"prompt\":\"x\",\"loras\":[{\"name\":\"pink\"},{\"name\":\"pink\"},{\"name\":\"pink\"},{\"name\":\"pink\"},{\"name\":\"pink\"}]}")) {
            var r = client.post("/v1/videos", key, body);
            assertEquals(400, r.status(), body + " → " + r.json());
            assertTrue(r.json().toString().contains("loras"), r.json().toString());
        }
        var r = client.post("/v1/videos", key, "{\"prompt\":\"x\",\"loras\":[{\"name\":\"missing\"}]}");
        assertTrue(r.json().toString().contains("pink"), "the refusal lists what the server has: " + r.json());
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
