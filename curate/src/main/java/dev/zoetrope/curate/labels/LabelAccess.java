package dev.zoetrope.curate.labels;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.sun.net.httpserver.Headers;

/**
 * Who may use a labelling server. Every request must name this server in {@code Host} (and in {@code Origin} when the
 * browser sends one), so a page on another site, or a DNS name rebound to this address, is refused; and it must carry
 * the per-run token, as the cookie set on the first visit to the printed address, or as {@code Authorization: Bearer}.
 * The cookie is HttpOnly and SameSite=Strict, so another site's page can neither read it nor make the browser send it.
 */
final class LabelAccess {
    private final String token;
    private final String cookie;
    private final Set<String> authorities;

    private LabelAccess(String token, String cookie, Set<String> authorities) {
        this.token = token;
        this.cookie = cookie;
        this.authorities = authorities;
    }

    /**
     * For a server bound to {@code bound} (asked for as {@code host}); {@code extraHosts} are further names the
     * browser may use, {@code name} or {@code name:port}, e.g. the far end of an SSH tunnel.
     */
    static LabelAccess of(String host, InetSocketAddress bound, List<String> extraHosts) {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        int port = bound.getPort();
        Set<String> names = new LinkedHashSet<>();
        names.add(bracketed(host));
        InetAddress address = bound.getAddress();
        names.add(literal(address));
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) names.addAll(List.of("localhost", "127.0.0.1", "[::1]"));
        if (address.isAnyLocalAddress()) names.addAll(localNames());
        Set<String> authorities = new LinkedHashSet<>();
        for (String n : names) authorities.add(n.toLowerCase(Locale.ROOT) + ":" + port);
        for (String h : extraHosts) {
            String a = h.strip().toLowerCase(Locale.ROOT);
            authorities.add(a.matches(".*:\\d+") && !a.endsWith("]") ? a : a + ":" + port);
        }
        // Port 80 may be left out of Host and Origin.
        if (port == 80) for (String n : names) authorities.add(n.toLowerCase(Locale.ROOT));
        return new LabelAccess(HexFormat.of().formatHex(secret), "zoetrope_label_" + port, Collections.unmodifiableSet(authorities));
    }

    String token() {
        return token;
    }

    /** The {@code Set-Cookie} value that keeps the token in the browser for this server's pages and API calls. */
    String setCookie() {
        return cookie + "=" + token + "; Path=/; HttpOnly; SameSite=Strict";
    }

    /** Null when Host and Origin name this server, else why not. */
    String refusal(Headers h) {
        String host = h.getFirst("Host");
        if (host == null) return "the request has no Host header";
        if (!authorities.contains(host.strip().toLowerCase(Locale.ROOT)))
            return "Host '" + host.strip() + "' is not this server; open it by the address label serve printed (or allow the name with --allow-host)";
        String origin = h.getFirst("Origin");
        if (origin != null && (!origin.regionMatches(true, 0, "http://", 0, 7)
                || !authorities.contains(origin.substring(7).toLowerCase(Locale.ROOT))))
            return "requests from origin '" + origin + "' are not accepted; use the labelling page itself";
        return null;
    }

    /** Whether the request carries the token, in the cookie or as a bearer token. */
    boolean authorized(Headers h) {
        String auth = h.getFirst("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && matches(auth.substring(7).strip())) return true;
        for (String line : h.getOrDefault("Cookie", List.of()))
            for (String part : line.split(";")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).strip().equals(cookie) && matches(part.substring(eq + 1).strip())) return true;
            }
        return false;
    }

    /** Constant-time comparison, so response timing says nothing about how much of a guess was right. */
    boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(candidate.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private static String bracketed(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static String literal(InetAddress a) {
        if (!(a instanceof Inet6Address)) return a.getHostAddress();
        String s = a.getHostAddress();
        int scope = s.indexOf('%');
        return "[" + (scope < 0 ? s : s.substring(0, scope)) + "]";
    }

    /** A server on all interfaces answers to each interface's address and to the machine's name. */
    private static Set<String> localNames() {
        Set<String> out = new LinkedHashSet<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces()))
                for (InetAddress a : Collections.list(ni.getInetAddresses())) out.add(literal(a));
        } catch (SocketException e) {
            // no interface list: loopback names and --allow-host still work
        }
        try {
            InetAddress self = InetAddress.getLocalHost();
            out.add(self.getHostName());
            out.add(self.getCanonicalHostName());
        } catch (UnknownHostException e) {
            // the machine has no resolvable name; addresses still work
        }
        return out;
    }
}
