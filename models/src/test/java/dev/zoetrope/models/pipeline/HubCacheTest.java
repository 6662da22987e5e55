package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;

/** Models named by Hugging Face repo id, found in a hub cache laid out as {@code huggingface-cli download} leaves it. */
class HubCacheTest {
    static final String MAIN = "1111111111111111111111111111111111111111";
    static final String V1 = "2222222222222222222222222222222222222222";

    @TempDir
    Path tmp;

    static Path shippedTiny() {
        return Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny");
    }

    /**
     * {@code cache/models--ORG--NAME}: each file of {@code model} stored once under {@code blobs/<sha256>}, and
     * {@code snapshots/<commit>/<path>} a relative symlink to it, as the hub writes them; {@code refs/<ref>} holds
     * the commit. {@code changes} replaces files (relative path → content) in this snapshot only.
     */
    static Path snapshot(Path cache, String repoId, String ref, String commit, Path model, Map<String, String> changes)
            throws IOException {
        Path repo = cache.resolve("models--" + repoId.replace("/", "--"));
        Path snap = repo.resolve("snapshots").resolve(commit);
        List<Path> files;
        try (Stream<Path> s = Files.walk(model)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            String rel = model.relativize(f).toString();
            byte[] content = changes.containsKey(rel) ? changes.get(rel).getBytes() : Files.readAllBytes(f);
            Path blob = repo.resolve("blobs").resolve(sha256(content));
            Files.createDirectories(blob.getParent());
            if (!Files.exists(blob)) Files.write(blob, content);
            Path link = snap.resolve(rel);
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, link.getParent().relativize(blob));
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve(ref), commit);
        return snap;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String withSteps(int steps) throws IOException {
        return Files.readString(shippedTiny().resolve("zoetrope.json")).replaceFirst("\"default_steps\" : \\d+", "\"default_steps\" : " + steps);
    }

    @Test
    void aRepoIdIsItsSnapshotInTheCacheAndDetectsThroughTheSymlinks() throws IOException {
        Path cache = tmp.resolve("hub");
        Path main = snapshot(cache, "Zoetrope-AI/tiny", "main", MAIN, shippedTiny(), Map.of());
        Path v1 = snapshot(cache, "Zoetrope-AI/tiny", "v1", V1, shippedTiny(), Map.of("zoetrope.json", withSteps(7)));
        Map<String, String> env = Map.of("HF_HUB_CACHE", cache.toString());

        assertEquals(main, HubCache.resolve("Zoetrope-AI/tiny", null, env));
        assertTrue(Files.isSymbolicLink(main.resolve("dit/64p.safetensors")), "the files are links into blobs/");
        ModelDirectory d = ModelDirectory.detect(HubCache.resolve("Zoetrope-AI/tiny", null, env));
        assertEquals(ModelFamily.LINUM, d.family());
        assertEquals(ModelDirectory.Layout.ZOETROPE, d.layout());
        assertEquals(30, d.capabilities().defaultSteps());
        assertEquals(128, d.ditDim(), "the weights' header is read through the link");
        // LatentScale reads tensors from the DiT file: through the link too
        Engine.init();
        assertNotNull(ModelLoader.latentScale(d));

        assertEquals(v1, HubCache.resolve("Zoetrope-AI/tiny", "v1", env));
        assertEquals(7, ModelDirectory.detect(HubCache.resolve("Zoetrope-AI/tiny", "v1", env)).capabilities().defaultSteps());
        assertEquals(v1, HubCache.resolve("Zoetrope-AI/tiny", V1, env), "a commit hash is its own snapshot");
    }

    @Test
    void theCacheIsFoundAsTheHubFindsIt() {
        Path home = tmp.resolve("home");
        assertEquals(Path.of("/c/hub"), HubCache.cacheRoot(Map.of("HF_HUB_CACHE", "/c/hub", "HF_HOME", "/h")).path());
        assertEquals(Path.of("/h/hub"), HubCache.cacheRoot(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/x")).path());
        assertEquals(home.resolve("hf/hub"), HubCache.cacheRoot(Map.of("HF_HOME", "~/hf", "HOME", home.toString())).path());
        assertEquals(Path.of("/x/huggingface/hub"), HubCache.cacheRoot(Map.of("XDG_CACHE_HOME", "/x")).path());
        assertEquals(home.resolve(".cache/huggingface/hub"), HubCache.cacheRoot(Map.of("HOME", home.toString())).path());
    }

    @Test
    void anExistingPathWinsAndTakesNoRevision() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("Org/name"));
        Map<String, String> env = Map.of("HF_HUB_CACHE", tmp.resolve("hub").toString());
        assertEquals(dir, HubCache.resolve(dir.toString(), null, env));
        var e = assertThrows(InvalidRequestException.class, () -> HubCache.resolve(dir.toString(), "v1", env));
        assertTrue(e.getMessage().contains("--revision v1") && e.getMessage().contains("local path"), e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> HubCache.resolve(tmp.resolve("a/b/c").toString(), null, env));
        assertTrue(e.getMessage().endsWith("a/b/c: no such file or directory, nor a Hugging Face repo id (ORG/NAME)"), e.getMessage());
    }

    @Test
    void whatIsMissingIsNamedWithTheCommandThatFetchesIt() throws IOException {
        Path cache = tmp.resolve("hub");
        Map<String, String> env = Map.of("HF_HUB_CACHE", cache.toString());
        var e = assertThrows(InvalidRequestException.class, () -> HubCache.resolve("Linum-AI/linum-v2-360p", null, env));
        assertEquals("Linum-AI/linum-v2-360p: not a local path, and not in the Hugging Face cache (looked for "
                + cache.resolve("models--Linum-AI--linum-v2-360p") + ", the cache from HF_HUB_CACHE); fetch it with: "
                + "huggingface-cli download Linum-AI/linum-v2-360p", e.getMessage());

        snapshot(cache, "Zoetrope-AI/tiny", "main", MAIN, shippedTiny(), Map.of());
        e = assertThrows(InvalidRequestException.class, () -> HubCache.resolve("Zoetrope-AI/tiny", "v2", env));
        assertTrue(e.getMessage().contains("no revision 'v2'")
                && e.getMessage().contains(cache.resolve("models--Zoetrope-AI--tiny/refs/v2").toString())
                && e.getMessage().endsWith("huggingface-cli download Zoetrope-AI/tiny --revision v2"), e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> HubCache.resolve("Zoetrope-AI/tiny", V1, env));
        assertTrue(e.getMessage().contains(cache.resolve("models--Zoetrope-AI--tiny/snapshots/" + V1).toString()), e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> HubCache.resolve("Zoetrope-AI/tiny", "../../etc", env));
        assertTrue(e.getMessage().contains("not a branch, tag or commit"), e.getMessage());
    }

    @Test
    void repoIdsHaveTheHubsForm() {
        for (String ok : List.of("Linum-AI/linum-v2-360p", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "google/umt5-xxl"))
            assertTrue(HubCache.isRepoId(ok), ok);
        for (String bad : List.of("linum-v2-360p", "/abs/path", "a/b/c", "a--b/c", "a/..b", "./x", "a/b.git"))
            assertFalse(HubCache.isRepoId(bad), bad);
    }

    @Test
    void partsGivenSeparatelyReplaceTheDirectorysOwn() throws IOException {
        ModelDirectory tiny = ModelDirectory.detect(shippedTiny());
        assertSame(tiny.ditWeights(), tiny.withParts(ModelDirectory.Overrides.NONE).ditWeights());
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Path tok = Files.copy(shippedTiny().resolve("t5/tokenizer/tokenizer.json"), elsewhere.resolve("tokenizer.json"));
        Path vae = Files.copy(shippedTiny().resolve("vae/vae.safetensors"), elsewhere.resolve("vae.safetensors"));
        ModelDirectory d = tiny.withParts(new ModelDirectory.Overrides(null, vae, null, tok));
        assertEquals(tok, d.tokenizer());
        assertEquals(vae, d.vaeWeights());
        assertNull(d.vaeConfig(), "no vae/config.json beside it: dims from the weights");
        assertEquals(tiny.ditWeights(), d.ditWeights());
        assertTrue(d.describe().contains("tokenizer: " + tok), d.describe().toString());
        var e = assertThrows(InvalidRequestException.class,
                () -> tiny.withParts(new ModelDirectory.Overrides(tmp.resolve("none.safetensors"), null, null, null)));
        assertTrue(e.getMessage().contains("none.safetensors: missing the DiT weights"), e.getMessage());
    }
}
