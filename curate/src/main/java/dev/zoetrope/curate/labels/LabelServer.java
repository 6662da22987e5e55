package dev.zoetrope.curate.labels;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.ByteRange;

/**
 * The labelling web page and its JSON API, on the JDK's HTTP server:
 * <ul>
 *   <li>{@code GET /} the page; {@code GET /media/<path>} clip media under the clip root (ranges answered)</li>
 *   <li>{@code GET /api/state?annotator=NAME} attributes, clips and that annotator's labels</li>
 *   <li>{@code POST /api/label} {@code {"clip_id","annotator","values":{attribute: value}}}</li>
 *   <li>{@code GET /api/agreement} Krippendorff's alpha per attribute</li>
 *   <li>{@code GET /api/export}, {@code POST /api/import} Label Studio JSON</li>
 * </ul>
 * Every request must pass {@link LabelAccess} (Host, Origin, the per-run token). Every failure is answered with its
 * status and {@code {"error": message}}.
 */
public final class LabelServer implements AutoCloseable {
    /** Largest label POST; a label is a few hundred bytes. */
    public static final int LABEL_BODY_LIMIT = 1 << 20;
    /** Largest Label Studio import through the page; bigger files go through {@code label import}. */
    public static final int IMPORT_BODY_LIMIT = 16 << 20;

    private static final Logger LOG = Logger.getLogger(LabelServer.class.getName());

    private final HttpServer http;
    private final LabelStore store;
    private final LabelConfig config;
    private final Path root;
    private final String host;
    private final LabelAccess access;

    /** A request that ends with this status and {@code {"error": message}}. */
    private static final class Refusal extends RuntimeException {
        final int status;
        final Map<String, String> headers;

        Refusal(int status, String message, Map<String, String> headers) {
            super(message, null, false, false);
            this.status = status;
            this.headers = headers;
        }

        Refusal(int status, String message) {
            this(status, message, Map.of());
        }
    }

    private LabelServer(HttpServer http, LabelStore store, LabelConfig config, Path root, String host, LabelAccess access) {
        this.http = http;
        this.access = access;
        this.store = store;
        this.config = config;
        this.root = root;
        this.host = host;
    }

    /** Starts serving on {@code host:port} (port 0 picks a free one). */
    public static LabelServer start(String host, int port, LabelStore store, LabelConfig config, Path clipRoot) throws IOException {
        return start(host, port, List.of(), store, config, clipRoot);
    }

    /**
     * Starts serving on {@code host:port}; {@code allowHosts} are further names (or {@code name:port}) the page may be
     * opened by, besides the bound address and, on loopback, localhost.
     */
    public static LabelServer start(String host, int port, List<String> allowHosts, LabelStore store, LabelConfig config, Path clipRoot)
            throws IOException {
        // Media must resolve, links followed, inside the clip root's own real path.
        Path root = clipRoot.toRealPath();
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 0);
        LabelServer s = new LabelServer(http, store, config, root, host, LabelAccess.of(host, http.getAddress(), allowHosts));
        http.createContext("/", s::handle);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.start();
        return s;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    /** This run's token; the page gets it as a cookie from {@link #url()}, scripts send {@code Authorization: Bearer}. */
    public String token() {
        return access.token();
    }

    /** The address to open, token included (like a notebook server's). */
    public String url() {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        if (h.equals("0.0.0.0") || h.equals("[::]")) h = "127.0.0.1";
        return "http://" + h + ":" + port() + "/?token=" + access.token();
    }

    private void handle(HttpExchange ex) {
        try {
            route(ex);
        } catch (Refusal r) {
            fail(ex, r.status, r.getMessage(), r.headers);
        } catch (LabelException | InvalidRequestException e) {
            fail(ex, 400, e.getMessage(), Map.of());
        } catch (JsonProcessingException e) {
            fail(ex, 400, "the body is not valid JSON: " + e.getOriginalMessage(), Map.of());
        } catch (IOException e) {
            // Mostly the browser dropping a video request half-way; an answer, if still possible, says what failed.
            fail(ex, 500, "could not answer: " + e.getMessage(), Map.of());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "labelling request " + ex.getRequestURI().getRawPath() + " failed", e);
            fail(ex, 500, "internal error: " + e, Map.of());
        } finally {
            ex.close();
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String why = access.refusal(ex.getRequestHeaders());
        if (why != null) throw new Refusal(403, why);
        String path = ex.getRequestURI().getRawPath();
        if (path.equals("/") && ex.getRequestURI().getRawQuery() != null) {
            String given = query(ex).get("token");
            if (given != null) {
                if (!access.matches(given)) throw unauthorized();
                // Keep the token as a cookie and take it out of the address bar and history.
                ex.getResponseHeaders().set("Set-Cookie", access.setCookie());
                ex.getResponseHeaders().set("Location", "/");
                ex.getResponseHeaders().set("Cache-Control", "no-store");
                ex.sendResponseHeaders(303, -1);
                return;
            }
        }
        if (!access.authorized(ex.getRequestHeaders())) throw unauthorized();
        switch (path) {
            case "/", "/index.html" -> {
                allow(ex, "GET");
                page(ex);
            }
            case "/api/state" -> {
                allow(ex, "GET");
                json(ex, 200, state(query(ex).getOrDefault("annotator", "")));
            }
            case "/api/label" -> {
                allow(ex, "POST");
                label(ex);
            }
            case "/api/agreement" -> {
                allow(ex, "GET");
                json(ex, 200, agreement());
            }
            case "/api/export" -> {
                allow(ex, "GET");
                json(ex, 200, LabelStudioFormat.export(store, config));
            }
            case "/api/import" -> {
                allow(ex, "POST");
                importTasks(ex);
            }
            default -> {
                if (!path.startsWith("/media/")) throw new Refusal(404, "not found: " + path);
                allow(ex, "GET", "HEAD");
                media(ex, path.substring("/media/".length()));
            }
        }
    }

    private static Refusal unauthorized() {
        return new Refusal(401, "missing or wrong token: open the address label serve printed (it ends in ?token=...), "
                + "or send Authorization: Bearer TOKEN", Map.of("WWW-Authenticate", "Bearer realm=\"zoetrope-label\""));
    }

    private static void allow(HttpExchange ex, String... methods) {
        String m = ex.getRequestMethod();
        for (String ok : methods) if (ok.equals(m)) return;
        throw new Refusal(405, m + " is not accepted here; use " + String.join(" or ", methods), Map.of("Allow", String.join(", ", methods)));
    }

    private void page(HttpExchange ex) throws IOException {
        try (InputStream in = LabelServer.class.getResourceAsStream("label.html")) {
            if (in == null) throw new IllegalStateException("label.html is missing from the classpath");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            send(ex, 200, "text/html; charset=utf-8", in.readAllBytes());
        }
    }

    private ObjectNode state(String annotator) {
        ObjectNode out = Json.PLAIN.createObjectNode();
        out.set("attributes", Json.PLAIN.valueToTree(config.attributes()));
        ArrayNode clips = out.putArray("clips");
        for (LabelStore.Clip c : store.clips()) {
            ObjectNode o = clips.addObject();
            o.put("id", c.id());
            o.put("video", mediaUrl(c.video()));
            if (c.strip() != null) o.put("strip", mediaUrl(c.strip()));
            if (c.caption() != null) o.put("caption", c.caption());
        }
        out.set("labels", Json.PLAIN.valueToTree(annotator.isBlank() ? Map.of() : store.labelsOf(annotator)));
        return out;
    }

    /** The media address of a path under the clip root, each segment percent-encoded (a space as %20, not +). */
    static String mediaUrl(String relative) {
        StringBuilder url = new StringBuilder("/media");
        for (String segment : relative.split("/", -1))
            url.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        return url.toString();
    }

    private void label(HttpExchange ex) throws IOException {
        JsonNode body = Json.PLAIN.readTree(body(ex, LABEL_BODY_LIMIT));
        if (body == null || !body.isObject()) throw new InvalidRequestException("the body must be a JSON object {clip_id, annotator, values}");
        String clip = body.path("clip_id").asText("");
        String annotator = body.path("annotator").asText("").trim();
        if (clip.isEmpty() || annotator.isEmpty()) throw new InvalidRequestException("clip_id and annotator are required");
        if (store.clips().stream().noneMatch(c -> c.id().equals(clip))) throw new InvalidRequestException("unknown clip '" + clip + "'");
        Map<String, String> values = new LinkedHashMap<>();
        for (var e : body.path("values").properties()) {
            Attribute a = config.attribute(e.getKey()).orElseThrow(() -> new InvalidRequestException("unknown attribute '" + e.getKey() + "'"));
            String v = e.getValue().asText();
            if (!a.accepts(v)) throw new InvalidRequestException("'" + v + "' is not an option of '" + a.name() + "'");
            values.put(a.name(), v);
        }
        store.save(clip, annotator, values);
        ObjectNode ok = Json.PLAIN.createObjectNode().put("ok", true).put("labelled", store.labelsOf(annotator).size());
        json(ex, 200, ok);
    }

    /** Krippendorff's alpha for every configured attribute (null when nothing is pairable yet). */
    public List<Agreement.Result> agreementResults() {
        Map<String, Map<String, List<String>>> values = store.valuesByAttribute();
        List<Agreement.Result> out = new ArrayList<>();
        for (Attribute a : config.attributes())
            out.add(Agreement.alpha(a.name(), values.getOrDefault(a.name(), Map.of()).values(), a.interval()));
        return out;
    }

    private ArrayNode agreement() {
        ArrayNode rows = Json.PLAIN.createArrayNode();
        for (Agreement.Result r : agreementResults()) {
            ObjectNode o = rows.addObject().put("attribute", r.attribute()).put("clips", r.clips());
            if (Double.isNaN(r.alpha())) o.putNull("alpha");
            else o.put("alpha", r.alpha());
        }
        return rows;
    }

    private void importTasks(HttpExchange ex) throws IOException {
        int n = LabelStudioFormat.importFrom(body(ex, IMPORT_BODY_LIMIT), "the uploaded file", store, config);
        json(ex, 200, Json.PLAIN.createObjectNode().put("ok", true).put("labels", n));
    }

    /**
     * A JSON request body of at most {@code limit} bytes. A larger one is refused (413) after reading at most limit + 1
     * bytes; the rest is never read, and the connection is closed rather than drained.
     */
    private static byte[] body(HttpExchange ex, int limit) throws IOException {
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        // A cross-site form can only send text/plain, urlencoded or multipart without asking the server first.
        if (type == null || !type.strip().toLowerCase(Locale.ROOT).startsWith("application/json"))
            throw new Refusal(415, "send the body as Content-Type: application/json");
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.strip());
            } catch (NumberFormatException e) {
                throw new Refusal(400, "Content-Length '" + declared + "' is not a number");
            }
            if (length > limit) throw tooLarge(limit);
        }
        byte[] bytes = ex.getRequestBody().readNBytes(limit + 1);
        if (bytes.length > limit) throw tooLarge(limit);
        if (bytes.length == 0) throw new InvalidRequestException("the body is empty; send a JSON document");
        return bytes;
    }

    private static Refusal tooLarge(int limit) {
        return new Refusal(413, "the body is larger than the limit of " + limit + " bytes", Map.of("Connection", "close"));
    }

    private void media(HttpExchange ex, String rawRelative) throws IOException {
        Path file = mediaFile(rawRelative);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String type = name.endsWith(".mp4") ? "video/mp4" : name.endsWith(".webm") ? "video/webm"
                : name.endsWith(".png") ? "image/png" : name.endsWith(".gif") ? "image/gif" : "application/octet-stream";
        long size = Files.size(file);
        ByteRange range;
        try {
            range = ByteRange.parse(ex.getRequestHeaders().getFirst("Range"), size);
        } catch (ByteRange.UnsatisfiableException e) {
            throw new Refusal(416, "the range '" + ex.getRequestHeaders().getFirst("Range") + "' lies outside the "
                    + size + " bytes of the file", Map.of("Content-Range", "bytes */" + size));
        }
        var h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Accept-Ranges", "bytes");
        h.set("X-Content-Type-Options", "nosniff");
        if (range != null) h.set("Content-Range", range.contentRange(size));
        ByteRange part = range != null ? range : ByteRange.whole(size);
        int status = range != null ? 206 : 200;
        if (ex.getRequestMethod().equals("HEAD") || part.length() == 0) {
            h.set("Content-Length", Long.toString(part.length()));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, part.length());
        try (OutputStream out = ex.getResponseBody()) {
            part.copy(file, out);
        }
    }

    /**
     * The file a media address names: each segment percent-decoded on its own (so an encoded '/' cannot add a level,
     * and '+' stays '+'), then refused unless its real path, links followed, lies inside the clip root.
     */
    private Path mediaFile(String rawRelative) throws IOException {
        Path file = root;
        try {
            for (String raw : rawRelative.split("/", -1)) {
                String segment = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.indexOf('/') >= 0)
                    throw new Refusal(404, "no such media: /media/" + rawRelative);
                file = file.resolve(segment);
            }
        } catch (IllegalArgumentException e) { // a malformed %-escape, or a name the file system cannot hold
            throw new Refusal(404, "no such media: /media/" + rawRelative);
        }
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException | InvalidPathException e) {
            throw new Refusal(404, "no such media: /media/" + rawRelative);
        }
        if (!real.startsWith(root)) throw new Refusal(403, "/media/" + rawRelative + " resolves outside the clips folder");
        if (!Files.isRegularFile(real)) throw new Refusal(404, "no such media: /media/" + rawRelative);
        return real;
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) return q;
        try {
            for (String kv : raw.split("&")) {
                int i = kv.indexOf('=');
                if (i > 0) q.put(URLDecoder.decode(kv.substring(0, i), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
            }
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, "the query '" + raw + "' has a malformed %-escape");
        }
        return q;
    }

    private static void json(HttpExchange ex, int status, JsonNode body) throws IOException {
        send(ex, status, "application/json", Json.PLAIN.writeValueAsBytes(body));
    }

    /** Answers with {@code {"error": message}}, unless the answer had already begun (then closing is all there is). */
    private static void fail(HttpExchange ex, int status, String message, Map<String, String> headers) {
        if (ex.getResponseCode() != -1) return;
        try {
            var h = ex.getResponseHeaders();
            h.remove("Content-Range");
            h.remove("Set-Cookie");
            headers.forEach(h::set);
            json(ex, status, Json.PLAIN.createObjectNode().put("error", message));
        } catch (IOException e) {
            // the client is gone; nothing left to tell it
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
