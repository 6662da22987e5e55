package dev.zoetrope.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.io.AtomicFiles;

/**
 * Signed links to one job's content and event stream, so a browser's {@code <video src>}, download links and
 * {@code EventSource} (none of which can send an Authorization header) can read them without exposing the API key.
 * A token is {@code <expiry-epoch-seconds>.<HMAC-SHA256(job id, expiry)>} under a secret kept in the data directory.
 */
public final class UrlSigner {
    private final byte[] secret;
    private final Duration lifetime;
    private final Clock clock;

    UrlSigner(byte[] secret, Duration lifetime, Clock clock) {
        this.secret = secret.clone();
        this.lifetime = lifetime;
        this.clock = clock;
    }

    /** Loads the data directory's signing secret, making one on first use. */
    public static UrlSigner open(Path data, Duration lifetime) {
        Path file = data.resolve("link-signing.key");
        try {
            if (!Files.exists(file)) {
                byte[] fresh = new byte[32];
                new SecureRandom().nextBytes(fresh);
                AtomicFiles.writeString(file, HexFormat.of().formatHex(fresh) + "\n");
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // Not a POSIX file system: the data directory's own permissions protect it.
                }
            }
            String hex = Files.readString(file).strip();
            if (!hex.matches("[0-9a-f]{64}")) throw new InvalidRequestException(file + ": not a signing key (64 hex digits expected)");
            return new UrlSigner(HexFormat.of().parseHex(hex), lifetime, Clock.systemUTC());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read or create the link signing key: " + e.getMessage(), e);
        }
    }

    public String sign(String jobId) {
        long expiry = clock.instant().plus(lifetime).getEpochSecond();
        return expiry + "." + HexFormat.of().formatHex(mac(jobId, expiry));
    }

    public boolean valid(String jobId, String token) {
        if (token == null) return false;
        int dot = token.indexOf('.');
        if (dot <= 0) return false;
        long expiry;
        byte[] given;
        try {
            expiry = Long.parseLong(token.substring(0, dot));
            given = HexFormat.of().parseHex(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (expiry < clock.instant().getEpochSecond()) return false;
        return MessageDigest.isEqual(given, mac(jobId, expiry));
    }

    private byte[] mac(String jobId, long expiry) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            return m.doFinal((jobId + "|" + expiry).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
