package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.models.pipeline.HubCache;
import dev.zoetrope.video.VideoProbe;

/**
 * Commands naming a model by Hugging Face repo id, found in a fake hub cache (the environment cannot be set from a
 * test, so {@value HubCache#CACHE_PROPERTY} stands for {@code HF_HUB_CACHE}).
 */
class HubCacheCommandTest {
    static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    static final String V1 = "89abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path tmp;
    Path cache;
    String previous;

    static Path shippedTiny() {
        return Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny");
    }

    @BeforeEach
    void fakeCache() throws IOException {
        cache = tmp.resolve("hub");
        snapshot("main", MAIN, Map.of());
        String json = Files.readString(shippedTiny().resolve("zoetrope.json"));
        snapshot("v1", V1, Map.of("zoetrope.json", json.replaceFirst("\"default_steps\" : \\d+", "\"default_steps\" : 3")));
        previous = System.setProperty(HubCache.CACHE_PROPERTY, cache.toString());
    }

    @AfterEach
    void restore() {
        if (previous == null) System.clearProperty(HubCache.CACHE_PROPERTY);
        else System.setProperty(HubCache.CACHE_PROPERTY, previous);
    }

    /** The shipped tiny model as revision {@code ref} of Zoetrope-AI/tiny: blobs by hash, snapshot files linking to them. */
    void snapshot(String ref, String commit, Map<String, String> changes) throws IOException {
        Path repo = cache.resolve("models--Zoetrope-AI--tiny");
        List<Path> files;
        try (Stream<Path> s = Files.walk(shippedTiny())) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            String rel = shippedTiny().relativize(f).toString();
            byte[] content = changes.containsKey(rel) ? changes.get(rel).getBytes(StandardCharsets.UTF_8) : Files.readAllBytes(f);
            Path blob = repo.resolve("blobs").resolve(sha256(content));
            Files.createDirectories(blob.getParent());
            if (!Files.exists(blob)) Files.write(blob, content);
            Path link = repo.resolve("snapshots").resolve(commit).resolve(rel);
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, link.getParent().relativize(blob));
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve(ref), commit);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void infoAndGenerateTakeARepoIdAndARevision() throws IOException {
        CliRun info = CliRun.of("info", "Zoetrope-AI/tiny");
        assertEquals(0, info.exit(), info.toString());
        assertTrue(info.out().startsWith(cache.resolve("models--Zoetrope-AI--tiny/snapshots/" + MAIN) + ": "), info.out());
        assertTrue(info.out().contains("defaults: 64p, 8 fps, 2.000 s, 30 steps"), info.out());
        String direct = CliRun.of("info", shippedTiny().toString()).out();
        String ditLine = direct.lines().filter(l -> l.contains("tensors,") && l.contains("parameters")).findFirst().orElseThrow().strip();
        assertTrue(info.out().contains(ditLine), "the weights are read through the links: " + ditLine + " in " + info.out());

        CliRun v1 = CliRun.of("info", "Zoetrope-AI/tiny", "--revision", "v1");
        assertEquals(0, v1.exit(), v1.toString());
        assertTrue(v1.out().contains("/snapshots/" + V1) && v1.out().contains("3 steps"), v1.out());

        Path mp4 = tmp.resolve("hub.mp4");
        CliRun gen = CliRun.of("generate", "--model-dir", "Zoetrope-AI/tiny", "--revision", "v1",
                "a red circle moving left on a black background", "-o", mp4.toString());
        assertEquals(0, gen.exit(), gen.toString());
        assertTrue(gen.out().contains("17 frames at 8 fps") && gen.out().contains("3 steps"), "revision v1's defaults: " + gen.out());
        assertEquals(17, VideoProbe.probe(mp4).frameCount());
    }

    @Test
    void aMissingRepoNamesTheFolderAndTheDownloadCommand() {
        Path folder = cache.resolve("models--Linum-AI--linum-v2-360p");
        for (List<String> args : List.of(List.of("generate", "--model-dir", "Linum-AI/linum-v2-360p", "a fox"),
                List.of("info", "Linum-AI/linum-v2-360p"),
                List.of("serve", "--data", tmp.resolve("srv").toString(), "--model-dir", "Linum-AI/linum-v2-360p"),
                List.of("eval", "adherence", "--model-dir", "Linum-AI/linum-v2-360p", "--out", tmp.resolve("eval").toString()),
                List.of("curate", "--in", tmp.toString(), "--out", tmp.resolve("cur").toString(), "--latents-from", "Linum-AI/linum-v2-360p"))) {
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertEquals(2, r.exit(), r.toString());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r);
            assertTrue(r.err().contains("looked for " + folder) && r.err().strip().endsWith("huggingface-cli download Linum-AI/linum-v2-360p"),
                    r.err());
        }
        CliRun rev = CliRun.of("info", "Zoetrope-AI/tiny", "--revision", "v9");
        assertEquals(2, rev.exit(), rev.toString());
        assertTrue(rev.err().contains("no revision 'v9'") && rev.err().contains("refs/v9")
                && rev.err().strip().endsWith("huggingface-cli download Zoetrope-AI/tiny --revision v9"), rev.err());
        CliRun local = CliRun.of("generate", "--model-dir", shippedTiny().toString(), "--revision", "v1", "x");
        assertEquals(2, local.exit(), local.toString());
        assertTrue(local.err().contains("--revision v1 applies to a Hugging Face repo id"), local.err());
    }
}
