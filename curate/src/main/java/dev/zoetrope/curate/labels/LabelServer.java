package dev.zoetrope.curate.labels;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;

/**
 * The labelling web page and its JSON API, on the JDK's HTTP server:
 * <ul>
 *   <li>{@code GET /} the page; {@code GET /media/<path>} clip media under the clip root</li>
 *   <li>{@code GET /api/state?annotator=NAME} attributes, clips and that annotator's labels</li>
 *   <li>{@code POST /api/label} {@code {"clip_id","annotator","values":{attribute: value}}}</li>
 *   <li>{@code GET /api/agreement} Krippendorff's alpha per attribute</li>
 *   <li>{@code GET /api/export}, {@code POST /api/import} Label Studio JSON</li>
 * </ul>
 */
public final class LabelServer implements AutoCloseable {
    private final HttpServer http;
    private final LabelStore store;
    private final LabelConfig config;
    private final Path root;

    private LabelServer(HttpServer http, LabelStore store, LabelConfig config, Path root) {
        this.http = http;
        this.store = store;
        this.config = config;
        this.root = root.toAbsolutePath().normalize();
    }

    /** Starts serving on {@code host:port} (port 0 picks a free one). */
    public static LabelServer start(String host, int port, LabelStore store, LabelConfig config, Path clipRoot) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 0);
        LabelServer s = new LabelServer(http, store, config, clipRoot);
        http.createContext("/", s::handle);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.start();
        return s;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            switch (path) {
                case "/", "/index.html" -> page(ex);
                case "/api/state" -> json(ex, 200, state(query(ex).getOrDefault("annotator", "")));
                case "/api/label" -> {
                    if (!method.equals("POST")) text(ex, 405, "POST a label");
                    else label(ex);
                }
                case "/api/agreement" -> json(ex, 200, agreement());
                case "/api/export" -> json(ex, 200, LabelStudioFormat.export(store, config));
                case "/api/import" -> {
                    if (!method.equals("POST")) text(ex, 405, "POST Label Studio JSON");
                    else importTasks(ex);
                }
                default -> {
                    if (path.startsWith("/media/")) media(ex, path.substring("/media/".length()));
                    else text(ex, 404, "not found: " + path);
                }
            }
        } catch (LabelException | InvalidRequestException e) {
            text(ex, 400, e.getMessage());
        } catch (RuntimeException e) {
            text(ex, 500, "internal error: " + e);
        }
    }

    private void page(HttpExchange ex) throws IOException {
        try (InputStream in = LabelServer.class.getResourceAsStream("label.html")) {
            if (in == null) throw new IllegalStateException("label.html is missing from the classpath");
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
            o.put("video", "/media/" + c.video());
            if (c.strip() != null) o.put("strip", "/media/" + c.strip());
            if (c.caption() != null) o.put("caption", c.caption());
        }
        out.set("labels", Json.PLAIN.valueToTree(annotator.isBlank() ? Map.of() : store.labelsOf(annotator)));
        return out;
    }

    private void label(HttpExchange ex) throws IOException {
        JsonNode body = Json.PLAIN.readTree(ex.getRequestBody().readAllBytes());
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
        Path tmp = Files.createTempFile("label-import", ".json");
        try {
            Files.write(tmp, ex.getRequestBody().readAllBytes());
            int n = LabelStudioFormat.importFrom(tmp, store, config);
            json(ex, 200, Json.PLAIN.createObjectNode().put("ok", true).put("labels", n));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void media(HttpExchange ex, String rel) throws IOException {
        Path file = root.resolve(URLDecoder.decode(rel, StandardCharsets.UTF_8)).normalize();
        if (!file.startsWith(root) || !Files.isRegularFile(file)) {
            text(ex, 404, "no such media: " + rel);
            return;
        }
        String name = file.getFileName().toString();
        String type = name.endsWith(".mp4") ? "video/mp4" : name.endsWith(".webm") ? "video/webm"
                : name.endsWith(".png") ? "image/png" : name.endsWith(".gif") ? "image/gif" : "application/octet-stream";
        long size = Files.size(file);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        String range = ex.getRequestHeaders().getFirst("Range");
        long start = 0, end = size - 1;
        int status = 200;
        if (range != null && range.startsWith("bytes=")) {
            String[] se = range.substring(6).split("-", 2);
            start = se[0].isEmpty() ? 0 : Long.parseLong(se[0]);
            if (se.length > 1 && !se[1].isEmpty()) end = Math.min(end, Long.parseLong(se[1]));
            status = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + end + "/" + size);
        }
        long len = Math.max(0, end - start + 1);
        ex.sendResponseHeaders(status, len == 0 ? -1 : len);
        if (len == 0) return;
        try (InputStream in = Files.newInputStream(file); OutputStream out = ex.getResponseBody()) {
            in.skipNBytes(start);
            byte[] buf = new byte[1 << 16];
            long left = len;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) break;
                out.write(buf, 0, n);
                left -= n;
            }
        }
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) return q;
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            if (i > 0) q.put(URLDecoder.decode(kv.substring(0, i), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    private static void json(HttpExchange ex, int status, JsonNode body) throws IOException {
        send(ex, status, "application/json", Json.PLAIN.writeValueAsBytes(body));
    }

    private static void text(HttpExchange ex, int status, String body) throws IOException {
        send(ex, status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
