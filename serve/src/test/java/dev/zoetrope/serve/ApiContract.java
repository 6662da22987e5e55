package dev.zoetrope.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;

/**
 * The service's {@code openapi.json} as a contract: a response is checked against the operation it answers (status,
 * headers, body schema) by a maintained OpenAPI validator. Paths and methods the document does not describe (the web
 * page, a wrong method a test tries on purpose) are not its business.
 */
final class ApiContract {
    /** Requests outside the documented operations. */
    private static final Set<String> UNDOCUMENTED = Set.of("validation.request.path.missing", "validation.request.operation.notAllowed");
    private static final OpenApiInteractionValidator VALIDATOR = OpenApiInteractionValidator.createForInlineApiSpecification(spec()).build();

    private ApiContract() {}

    /** The document the service serves at /openapi.json. */
    static String spec() {
        try (InputStream in = ZoetropeServer.class.getResourceAsStream("web/openapi.json")) {
            if (in == null) throw new IllegalStateException("openapi.json is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What is wrong with {@code response} to {@code method path} by the document; empty when it conforms. */
    static List<String> problems(String method, String path, int status, java.net.http.HttpHeaders headers, byte[] body) {
        SimpleResponse.Builder b = SimpleResponse.Builder.status(status);
        headers.map().forEach((name, values) -> {
            // HTTP/1.1 framing headers are the transport's, never described in the document
            if (!name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("transfer-encoding") && !name.startsWith(":"))
                b.withHeader(name, values);
        });
        headers.firstValue("Content-Type").ifPresent(b::withContentType);
        if (body != null && body.length > 0) b.withBody(body);
        ValidationReport report = VALIDATOR.validateResponse(path, Request.Method.valueOf(method.toUpperCase(Locale.ROOT)), b.build());
        return report.getMessages().stream()
                .filter(m -> m.getLevel() == ValidationReport.Level.ERROR && !UNDOCUMENTED.contains(m.getKey()))
                .map(m -> m.getKey() + ": " + m.getMessage()).toList();
    }

    /** Fails when {@code response} breaks the document. */
    static void check(HttpResponse<byte[]> response) {
        String path = response.request().uri().getRawPath();
        List<String> p = problems(response.request().method(), path, response.statusCode(), response.headers(), response.body());
        if (!p.isEmpty())
            throw new AssertionError(response.request().method() + " " + path + " answered " + response.statusCode()
                    + " against openapi.json:\n  " + String.join("\n  ", p) + "\nbody: "
                    + new String(response.body(), 0, Math.min(response.body().length, 400), StandardCharsets.UTF_8));
    }
}
