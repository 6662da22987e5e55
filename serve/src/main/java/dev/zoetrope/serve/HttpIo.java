package dev.zoetrope.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

/** Reading requests and writing JSON responses on the JDK's HTTP server. */
final class HttpIo {
    static final ObjectMapper MAPPER = new ObjectMapper();
    /**
     * Request bodies: a field given twice and anything after the one JSON value are refused, not resolved silently
     * (a proxy and this server could otherwise read different requests from the same bytes).
     */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private HttpIo() {}

    /** A request that ends with this status and JSON body. */
    static final class HttpError extends RuntimeException {
        final int status;
        final transient ObjectNode body;
        final transient Map<String, String> headers;

        HttpError(int status, ObjectNode body, Map<String, String> headers) {
            super(body.toString(), null, false, false);
            this.status = status;
            this.body = body;
            this.headers = headers;
        }

        static HttpError of(int status, String message) {
            return new HttpError(status, MAPPER.createObjectNode().put("error", message), Map.of());
        }

        static HttpError fields(int status, List<FieldError> errors) {
            ObjectNode o = MAPPER.createObjectNode();
            ArrayNode a = o.putArray("errors");
            for (FieldError e : errors) a.addObject().put("field", e.field()).put("message", e.message());
            return new HttpError(status, o, Map.of());
        }

        static HttpError unauthorized(String message) {
            return new HttpError(401, MAPPER.createObjectNode().put("error", message),
                    Map.of("WWW-Authenticate", "Bearer realm=\"zoetrope\""));
        }
    }

    /** Reads the JSON body, refusing bodies over {@code limit} bytes (413) and malformed JSON (400). */
    static JsonNode readJson(HttpExchange ex, int limit) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.strip()) > limit) throw tooLarge(limit);
            } catch (NumberFormatException e) {
                throw HttpError.fields(400, List.of(new FieldError("body", "invalid Content-Length header")));
            }
        }
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) throw tooLarge(limit);
        }
        if (bytes.length == 0) throw HttpError.fields(400, List.of(new FieldError("body", "is empty; send a JSON object")));
        try {
            return STRICT.readTree(bytes);
        } catch (MismatchedInputException e) {
            // the only mismatch a tree read has: FAIL_ON_TRAILING_TOKENS
            throw HttpError.fields(400, List.of(new FieldError("body", "has data after the JSON object; send one JSON object")));
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage();
            if (m.startsWith("Duplicate field ")) m = "gives the field " + m.substring("Duplicate field ".length()) + " twice";
            else m = "malformed JSON: " + m;
            throw HttpError.fields(400, List.of(new FieldError("body", m)));
        }
    }

    private static HttpError tooLarge(int limit) {
        return HttpError.fields(413, List.of(new FieldError("body", "is larger than the limit of " + limit + " bytes")));
    }

    static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null || raw.isEmpty()) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        send(ex, status, "application/json", MAPPER.writeValueAsBytes(body));
    }

    static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
