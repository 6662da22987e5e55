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
import java.util.Optional;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.io.AtomicFiles;

/**
 * Signed links to one job's content and event stream, so a browser's {@code <video src>}, download links and
 * {@code EventSource} (none of which can send an Authorization header) can read them without exposing the API key.
 * A token is {@code <key id>.<expiry-epoch-seconds>.<HMAC-SHA256(job id, key id, expiry)>} under a secret kept in the
 * data directory (in the store when several instances share one, so a link made by one works on all): the key id lets
 * the server refuse the link once that key is revoked.
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

    /** Loads the shared store's signing secret, making one on first use (the first instance to ask wins). */
    public static UrlSigner open(ServiceDatabase db, Duration lifetime) {
        byte[] fresh = new byte[32];
        new SecureRandom().nextBytes(fresh);
        byte[] secret = db.transaction(c -> {
            try (var p = c.prepareStatement("INSERT INTO secrets(name, value) VALUES ('link-signing', ?) ON CONFLICT (name) DO NOTHING")) {
                p.setBytes(1, fresh);
                p.executeUpdate();
            }
            try (var s = c.createStatement(); var rs = s.executeQuery("SELECT value FROM secrets WHERE name = 'link-signing'")) {
                rs.next();
                return rs.getBytes(1);
            }
        });
        return new UrlSigner(secret, lifetime, Clock.systemUTC());
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

    /** A token for {@code jobId}'s links, made for the API key {@code keyId} (the job's owner). */
    public String sign(String jobId, String keyId) {
        if (!KEY_ID.matcher(keyId).matches()) throw new IllegalArgumentException("not an API key id: " + keyId);
        long expiry = clock.instant().plus(lifetime).getEpochSecond();
        return keyId + "." + expiry + "." + HexFormat.of().formatHex(mac(jobId, keyId, expiry));
    }

    /** The key id a genuine, unexpired token for {@code jobId} was made for; empty for any other token. */
    public Optional<String> keyOf(String jobId, String token) {
        if (token == null) return Optional.empty();
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3 || !KEY_ID.matcher(parts[0]).matches()) return Optional.empty();
        long expiry;
        byte[] given;
        try {
            expiry = Long.parseLong(parts[1]);
            given = HexFormat.of().parseHex(parts[2]);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (expiry < clock.instant().getEpochSecond()) return Optional.empty();
        return MessageDigest.isEqual(given, mac(jobId, parts[0], expiry)) ? Optional.of(parts[0]) : Optional.empty();
    }

    private static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{12}");

    private byte[] mac(String jobId, String keyId, long expiry) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            return m.doFinal((jobId + "|" + keyId + "|" + expiry).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
