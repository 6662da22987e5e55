package dev.zoetrope.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.zoetrope.core.io.AtomicFiles;

/** JSON for configs and sidecars: one mapper, clear errors that name the file. */
public final class Json {
    /** Field names as in Python configs: snake_case, unknown keys ignored (configs carry extras). */
    public static final ObjectMapper SNAKE = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public static final ObjectMapper PLAIN = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /**
     * Binds configs strictly: a number where a number belongs (no {@code "12"}, no 1.5 for a whole number), a boolean
     * where a boolean belongs; names come from each record's {@code @JsonProperty}, unknown fields are ignored.
     */
    public static final ObjectMapper CONFIG = JsonMapper.builder()
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Json() {}

    /**
     * {@code base} with the fields present in {@code changes} replaced, bound through {@link #CONFIG}. Field names
     * may be any {@code @JsonAlias} of a component (upstream spellings); explicit nulls mean "not given".
     *
     * @param source names the config in error messages
     */
    public static <T extends Record> T overlay(T base, JsonNode changes, Class<T> type, String source) {
        return overlay((ObjectNode) CONFIG.valueToTree(base), changes, type, source);
    }

    /** {@link #overlay(Record, JsonNode, Class, String)} over a tree of defaults (which it changes). */
    public static <T extends Record> T overlay(ObjectNode tree, JsonNode changes, Class<T> type, String source) {
        if (changes == null || changes.isNull()) return bind(tree, type, source);
        if (!changes.isObject()) throw new ConfigException(source + ": must be a JSON object, not " + changes);
        Map<String, String> names = canonicalNames(type);
        changes.properties().forEach(e -> {
            if (!e.getValue().isNull()) tree.set(names.getOrDefault(e.getKey(), e.getKey()), e.getValue());
        });
        return bind(tree, type, source);
    }

    /** Binds {@code tree} to {@code type} through {@link #CONFIG}; a bad field becomes a ConfigException naming it. */
    public static <T> T bind(JsonNode tree, Class<T> type, String source) {
        try {
            return CONFIG.treeToValue(tree, type);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigException c) throw new ConfigException(source + ": " + c.getMessage(), c);
            throw new ConfigException(source + ": " + (cause != null ? cause.getMessage() : e.getOriginalMessage()), e);
        } catch (MismatchedInputException e) {
            String field = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .reduce((a, b) -> a + "." + b).orElse("?");
            throw new ConfigException(source + ": field '" + field + "' must be " + kind(e.getTargetType()) + " (" + e.getOriginalMessage() + ")", e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + e.getOriginalMessage(), e);
        }
    }

    private static String kind(Class<?> type) {
        if (type == null) return "of another type";
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) return "a whole number";
        if (type == double.class || type == Double.class || type == float.class || type == Float.class) return "a number";
        if (type == boolean.class || type == Boolean.class) return "true or false";
        if (type == String.class) return "a string";
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) return "a list";
        if (java.util.Map.class.isAssignableFrom(type)) return "an object";
        return "a " + type.getSimpleName();
    }

    /** Every {@code @JsonAlias} of {@code type}'s record components → the component's JSON name. */
    private static Map<String, String> canonicalNames(Class<? extends Record> type) {
        Map<String, String> out = new HashMap<>();
        for (RecordComponent rc : type.getRecordComponents()) {
            JsonProperty p = rc.getAccessor().getAnnotation(JsonProperty.class);
            JsonAlias a = rc.getAccessor().getAnnotation(JsonAlias.class);
            String name = p != null && !p.value().isEmpty() ? p.value() : rc.getName();
            if (a != null) for (String alias : a.value()) out.put(alias, name);
        }
        return out;
    }

    public static JsonNode readTree(Path file) {
        try {
            return PLAIN.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file", e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads a snake_case JSON file into {@code type}. */
    public static <T> T read(Path file, Class<T> type) {
        try {
            return SNAKE.readValue(Files.readAllBytes(file), type);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file", e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Writes {@code value} as snake_case JSON, atomically. */
    public static void write(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, SNAKE.writeValueAsString(value) + "\n");
    }
}
