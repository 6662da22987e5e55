package dev.zoetrope.curate.labels;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;

/** The attributes the labelling page asks for, loaded from JSON ({@code {"attributes": [...]}}). */
public record LabelConfig(@JsonProperty("attributes") List<Attribute> attributes) {
    public LabelConfig {
        if (attributes == null || attributes.isEmpty()) throw new IllegalArgumentException("no attributes configured");
        Set<String> names = new HashSet<>(), keys = new HashSet<>();
        for (Attribute a : attributes) {
            if (!names.add(a.name())) throw new IllegalArgumentException("attribute '" + a.name() + "' is configured twice");
            for (String k : a.keys())
                if (!keys.add(k)) throw new IllegalArgumentException("key '" + k + "' is bound twice (attribute '" + a.name() + "')");
        }
        attributes = List.copyOf(attributes);
    }

    /** Overall 1–5, lighting, composition, motion-quality tier, and text/watermark present. */
    public static LabelConfig defaults() {
        return new LabelConfig(List.of(
                new Attribute("overall", "Overall quality", "rating", null, List.of("1", "2", "3", "4", "5"), 1, 5),
                new Attribute("lighting", "Lighting", "choice", List.of("good", "fair", "poor"), List.of("q", "w", "e"), null, null),
                new Attribute("composition", "Composition", "choice", List.of("good", "fair", "poor"), List.of("a", "s", "d"), null, null),
                new Attribute("motion", "Motion quality", "choice",
                        List.of("optimal", "medium", "static", "camera-only", "low", "shaky"),
                        List.of("z", "x", "c", "v", "b", "n"), null, null),
                new Attribute("text", "Text or watermark present", "flag", List.of("no", "yes"), List.of("g", "t"), null, null)));
    }

    public static LabelConfig read(Path file) {
        try {
            return Json.PLAIN.treeToValue(Json.readTree(file), LabelConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            throw new ConfigException(file + ": not a label configuration: " + e.getMessage(), e);
        }
    }

    public Optional<Attribute> attribute(String name) {
        return attributes.stream().filter(a -> a.name().equals(name)).findFirst();
    }
}
