package dev.zoetrope.serve;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.ModelCapabilities;

/** Checks a submission against the loaded model's capabilities, naming every bad field at once. */
public final class RequestValidator {
    static final Set<String> FIELDS = Set.of("prompt", "negative_prompt", "resolution", "duration", "seed", "cfg",
            "steps", "format", "loras");
    static final double MAX_CFG = 50;

    private final ModelCapabilities caps;
    private final int maxPromptChars;

    /** The request failed validation; {@link #errors()} says why, field by field. */
    public static final class InvalidFieldsException extends InvalidRequestException {
        private final List<FieldError> errors;

        public InvalidFieldsException(List<FieldError> errors) {
            super(errors.stream().map(e -> e.field() + ": " + e.message()).reduce((a, b) -> a + "; " + b).orElse("invalid"));
            this.errors = List.copyOf(errors);
        }

        public List<FieldError> errors() {
            return errors;
        }
    }

    private final LoraCatalog loras;

    public RequestValidator(ModelCapabilities caps, int maxPromptChars) {
        this(caps, maxPromptChars, LoraCatalog.NONE);
    }

    /** @param loras the adapters a request may name */
    public RequestValidator(ModelCapabilities caps, int maxPromptChars, LoraCatalog loras) {
        this.caps = caps;
        this.maxPromptChars = maxPromptChars;
        this.loras = loras;
    }

    public JobParams validate(JsonNode body) {
        List<FieldError> errors = new ArrayList<>();
        if (body == null || !body.isObject()) {
            throw new InvalidFieldsException(List.of(new FieldError("body", "must be a JSON object")));
        }
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) errors.add(new FieldError(name, "unknown field; accepted: " + new TreeSet<>(FIELDS)));
        }

        String prompt = text(body, "prompt", errors, true);
        if (prompt != null && prompt.isBlank()) errors.add(new FieldError("prompt", "must not be empty"));
        String negative = text(body, "negative_prompt", errors, false);

        String resolution = text(body, "resolution", errors, false);
        if (resolution == null) resolution = caps.defaultResolution();
        else if (!caps.resolutions().containsKey(resolution))
            errors.add(new FieldError("resolution", "unknown resolution '" + resolution + "'; this model supports "
                    + new TreeSet<>(caps.resolutions().keySet())));

        Double duration = number(body, "duration", errors);
        if (duration == null) duration = caps.defaultSeconds();
        else if (duration < caps.minSeconds() || duration > caps.maxSeconds())
            errors.add(new FieldError("duration", "must be between " + fmt(caps.minSeconds()) + " and "
                    + fmt(caps.maxSeconds()) + " seconds, got " + fmt(duration)));

        Long seed = seed(body, errors);
        if (seed == null) seed = caps.defaultSeed();

        Double cfg = number(body, "cfg", errors);
        if (cfg == null) cfg = caps.defaultGuidance();
        else if (cfg < 0 || cfg > MAX_CFG)
            errors.add(new FieldError("cfg", "must be between 0 and " + fmt(MAX_CFG) + ", got " + fmt(cfg)));

        Integer steps = integer(body, "steps", errors);
        if (steps == null) steps = caps.defaultSteps();
        else if (steps < caps.minSteps() || steps > caps.maxSteps())
            errors.add(new FieldError("steps", "must be between " + caps.minSteps() + " and " + caps.maxSteps()
                    + ", got " + steps));

        String format = text(body, "format", errors, false);
        if (format == null) format = "mp4";
        else if (!format.equals("mp4")) errors.add(new FieldError("format", "only \"mp4\" is supported"));

        List<JobParams.JobLora> adapters = loras(body, errors);

        if (!errors.isEmpty()) throw new InvalidFieldsException(errors);
        return new JobParams(prompt, negative == null ? caps.defaultNegativePrompt() : negative, resolution, duration,
                seed, cfg, steps, format, adapters);
    }

    /** {@code loras}: up to {@link LoraCatalog#MAX_PER_REQUEST} of {@code {"name": N, "strength": S}}, names from the catalog. */
    private List<JobParams.JobLora> loras(JsonNode body, List<FieldError> errors) {
        JsonNode v = body.get("loras");
        if (v == null || v.isNull()) return List.of();
        if (!v.isArray()) {
            errors.add(new FieldError("loras", "must be a list of {\"name\": ..., \"strength\": ...}"));
            return List.of();
        }
        if (v.size() > LoraCatalog.MAX_PER_REQUEST) {
            errors.add(new FieldError("loras", "at most " + LoraCatalog.MAX_PER_REQUEST + " adapters, got " + v.size()));
            return List.of();
        }
        List<JobParams.JobLora> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode a = v.get(i);
            String field = "loras[" + i + "]";
            if (!a.isObject() || !a.path("name").isTextual()) {
                errors.add(new FieldError(field, "must be {\"name\": ..., \"strength\": ...}"));
                continue;
            }
            for (var it = a.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("name") && !f.equals("strength")) errors.add(new FieldError(field + "." + f, "unknown field; accepted: name, strength"));
            }
            String name = a.get("name").asText();
            if (loras.file(name).isEmpty()) {
                List<String> known = loras.names();
                errors.add(new FieldError(field + ".name", "no adapter '" + abbreviate(name) + "' on this server"
                        + (known.isEmpty() ? " (it serves none)" : "; it has " + known)));
                continue;
            }
            JsonNode st = a.get("strength");
            double strength = 1.0;
            if (st != null && !st.isNull()) {
                if (!st.isNumber() || !Double.isFinite(st.asDouble()) || Math.abs(st.asDouble()) > LoraCatalog.MAX_STRENGTH) {
                    errors.add(new FieldError(field + ".strength", "must be a number between -" + (int) LoraCatalog.MAX_STRENGTH + " and "
                            + (int) LoraCatalog.MAX_STRENGTH));
                    continue;
                }
                strength = st.asDouble();
            }
            out.add(new JobParams.JobLora(name, strength));
        }
        return out;
    }

    private String text(JsonNode body, String field, List<FieldError> errors, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) errors.add(new FieldError(field, "is required"));
            return null;
        }
        if (!v.isTextual()) {
            errors.add(new FieldError(field, "must be a string"));
            return null;
        }
        String s = v.asText();
        if (s.length() > maxPromptChars)
            errors.add(new FieldError(field, "is too long: " + s.length() + " characters, at most " + maxPromptChars));
        return s;
    }

    private static Double number(JsonNode body, String field, List<FieldError> errors) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            errors.add(new FieldError(field, "must be a number"));
            return null;
        }
        return v.asDouble();
    }

    private static Integer integer(JsonNode body, String field, List<FieldError> errors) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            errors.add(new FieldError(field, "must be a whole number"));
            return null;
        }
        return v.asInt();
    }

    /**
     * A seed is a whole number in 0..2^63-1, given as a JSON number or a string of digits (for big seeds from JS), or -1
     * for a random seed, drawn here so the job stores (and shows) the seed it runs with.
     */
    private static Long seed(JsonNode body, List<FieldError> errors) {
        JsonNode v = body.get("seed");
        if (v == null || v.isNull()) return null;
        String digits = v.isIntegralNumber() ? v.bigIntegerValue().toString()
                : v.isTextual() ? v.asText().strip() : null;
        if (digits == null || !digits.matches("-?[0-9]{1,30}")) {
            errors.add(new FieldError("seed", "must be a whole number, got " + abbreviate(v.toString())));
            return null;
        }
        BigInteger b = new BigInteger(digits);
        if (b.equals(BigInteger.valueOf(GenerationRequest.RANDOM_SEED))) return GenerationRequest.randomSeed();
        if (b.signum() < 0 || b.bitLength() > 63) {
            errors.add(new FieldError("seed", "must be between 0 and " + Long.MAX_VALUE + ", or -1 for a random seed"));
            return null;
        }
        return b.longValue();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.3g", d);
    }
}
