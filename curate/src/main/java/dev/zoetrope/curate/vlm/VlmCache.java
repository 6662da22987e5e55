package dev.zoetrope.curate.vlm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import dev.zoetrope.core.io.AtomicFiles;

/**
 * Answers on disk, keyed by SHA-256 of (model, prompt, the PNG bytes of the sampled frames): the same clip asked the
 * same question is never sent twice, across runs. One file per answer, written atomically.
 */
public final class VlmCache {
    private final Path dir;

    public VlmCache(Path dir) {
        this.dir = dir;
    }

    public static String key(String model, String prompt, List<byte[]> frames) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(model.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(prompt.getBytes(StandardCharsets.UTF_8));
            for (byte[] f : frames) {
                d.update((byte) 0);
                d.update(f);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<String> get(String key) throws IOException {
        Path f = dir.resolve(key + ".txt");
        return Files.exists(f) ? Optional.of(Files.readString(f)) : Optional.empty();
    }

    public void put(String key, String answer) throws IOException {
        AtomicFiles.writeString(dir.resolve(key + ".txt"), answer);
    }
}
