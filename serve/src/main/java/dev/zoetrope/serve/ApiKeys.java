package dev.zoetrope.serve;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import dev.zoetrope.core.InvalidRequestException;

/**
 * API keys. A key reads {@code zt_<id>_<secret>}: the id finds the row, the secret is checked against
 * SHA-256(salt ‖ secret) with a per-key random salt, compared in constant time. Only the hash is stored, so a
 * leaked database gives no usable key; the full key is shown once, when it is made.
 */
public final class ApiKeys {
    private static final Pattern FORMAT = Pattern.compile("zt_([0-9a-f]{12})_([0-9a-f]{48})");
    private static final HexFormat HEX = HexFormat.of();

    private final ServiceDatabase db;
    private final SecureRandom random = new SecureRandom();

    /** A stored key, without its secret. */
    public record KeyInfo(String id, String name, Instant createdAt, Instant revokedAt) {
        public boolean active() {
            return revokedAt == null;
        }
    }

    /** A newly made key: {@code secret} is the full key text, to be shown once. */
    public record NewKey(KeyInfo info, String secret) {}

    public ApiKeys(ServiceDatabase db) {
        this.db = db;
    }

    public NewKey add(String name) {
        String label = name == null || name.isBlank() ? "key" : name.strip();
        if (label.length() > 100) throw new InvalidRequestException("--name: at most 100 characters");
        String id = HEX.formatHex(bytes(6));
        byte[] secret = bytes(24);
        String secretHex = HEX.formatHex(secret);
        byte[] salt = bytes(16);
        Instant now = Instant.now();
        db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO api_keys(id, name, salt, hash, created_at) VALUES (?, ?, ?, ?, ?)")) {
                p.setString(1, id);
                p.setString(2, label);
                p.setBytes(3, salt);
                p.setBytes(4, hash(salt, secretHex));
                p.setLong(5, now.toEpochMilli());
                return p.executeUpdate();
            }
        });
        return new NewKey(new KeyInfo(id, label, now, null), "zt_" + id + "_" + secretHex);
    }

    public List<KeyInfo> list() {
        return db.transaction(c -> {
            List<KeyInfo> out = new ArrayList<>();
            try (var s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY created_at")) {
                while (rs.next()) {
                    long revoked = rs.getLong(4);
                    Instant revokedAt = rs.wasNull() ? null : Instant.ofEpochMilli(revoked);
                    out.add(new KeyInfo(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)), revokedAt));
                }
            }
            return out;
        });
    }

    /** Revokes the key with this id (or full key text); false when no active key has it. */
    public boolean revoke(String idOrKey) {
        var m = FORMAT.matcher(idOrKey.strip());
        String id = m.matches() ? m.group(1) : idOrKey.strip();
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                p.setLong(1, System.currentTimeMillis());
                p.setString(2, id);
                return p.executeUpdate() == 1;
            }
        });
    }

    /** Whether the key with this id exists and is not revoked (signed links made for it work only then). */
    public boolean active(String id) {
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM api_keys WHERE id = ? AND revoked_at IS NULL")) {
                p.setString(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** The id of the active key {@code presented}, or empty when it is malformed, unknown, revoked or wrong. */
    public Optional<String> authenticate(String presented) {
        if (presented == null) return Optional.empty();
        var m = FORMAT.matcher(presented.strip());
        if (!m.matches()) return Optional.empty();
        String id = m.group(1);
        String secret = m.group(2);
        record Stored(byte[] salt, byte[] hash) {}
        Stored stored = db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT salt, hash FROM api_keys WHERE id = ? AND revoked_at IS NULL")) {
                p.setString(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? new Stored(rs.getBytes(1), rs.getBytes(2)) : null;
                }
            }
        });
        if (stored == null) return Optional.empty();
        return MessageDigest.isEqual(stored.hash, hash(stored.salt, secret)) ? Optional.of(id) : Optional.empty();
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] hash(byte[] salt, String secret) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt);
            return d.digest(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
