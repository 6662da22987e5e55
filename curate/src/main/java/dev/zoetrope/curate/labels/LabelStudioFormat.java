package dev.zoetrope.curate.labels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;

/**
 * Label Studio's JSON task format. Export: one task per clip ({@code data.video}, {@code data.clip_id}), one
 * annotation per annotator, one result per attribute: ratings as {@code {"type":"rating","value":{"rating":n}}},
 * choices and flags as {@code {"type":"choices","value":{"choices":[option]}}}, each with {@code from_name} = the
 * attribute and {@code to_name} = "video". The annotator goes in {@code completed_by.email}. Import reads the same
 * shape; a numeric {@code completed_by} becomes annotator {@code user-<id>}.
 */
public final class LabelStudioFormat {
    private LabelStudioFormat() {}

    public static ArrayNode export(LabelStore store, LabelConfig config) {
        ArrayNode tasks = Json.PLAIN.createArrayNode();
        Map<String, Map<String, Map<String, String>>> byClip = new TreeMap<>();
        for (LabelStore.Label l : store.labels())
            byClip.computeIfAbsent(l.clipId(), k -> new TreeMap<>()).computeIfAbsent(l.annotator(), k -> new LinkedHashMap<>())
                    .put(l.attribute(), l.value());
        int taskId = 1, annId = 1;
        for (LabelStore.Clip c : store.clips()) {
            ObjectNode t = tasks.addObject();
            t.put("id", taskId++);
            ObjectNode data = t.putObject("data");
            data.put("video", c.video());
            data.put("clip_id", c.id());
            if (c.caption() != null) data.put("caption", c.caption());
            ArrayNode anns = t.putArray("annotations");
            for (var a : byClip.getOrDefault(c.id(), Map.of()).entrySet()) {
                ObjectNode ann = anns.addObject();
                ann.put("id", annId++);
                ann.putObject("completed_by").put("email", a.getKey());
                ArrayNode result = ann.putArray("result");
                for (var v : a.getValue().entrySet()) {
                    Attribute attr = config.attribute(v.getKey()).orElse(null);
                    ObjectNode r = result.addObject();
                    r.put("from_name", v.getKey());
                    r.put("to_name", "video");
                    if (attr != null && attr.interval()) {
                        r.put("type", "rating");
                        r.putObject("value").put("rating", Integer.parseInt(v.getValue()));
                    } else {
                        r.put("type", "choices");
                        r.putObject("value").putArray("choices").add(v.getValue());
                    }
                }
            }
        }
        return tasks;
    }

    public static void exportTo(Path file, LabelStore store, LabelConfig config) throws IOException {
        AtomicFiles.writeString(file, Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(export(store, config)) + "\n");
    }

    /** Imports tasks and their annotations; returns how many labels were stored. Values outside the config are refused. */
    public static int importFrom(Path file, LabelStore store, LabelConfig config) throws IOException {
        return importFrom(Files.readAllBytes(file), file.toString(), store, config);
    }

    /** As {@link #importFrom(Path, LabelStore, LabelConfig)}, from bytes; {@code source} names them in messages. */
    public static int importFrom(byte[] json, String source, LabelStore store, LabelConfig config) throws IOException {
        JsonNode root = Json.PLAIN.readTree(json);
        if (root == null || !root.isArray()) throw new LabelException(source + ": a Label Studio export is a JSON array of tasks");
        List<LabelStore.Clip> clips = new ArrayList<>();
        int stored = 0;
        for (int i = 0; i < root.size(); i++) {
            JsonNode t = root.get(i);
            JsonNode data = t.path("data");
            String video = data.path("video").asText(null);
            String clipId = data.path("clip_id").asText(null);
            if (video == null) throw new LabelException(source + ": task " + i + " has no data.video");
            if (clipId == null) clipId = Path.of(video).getFileName().toString().replaceFirst("\\.[^.]+$", "");
            clips.add(new LabelStore.Clip(clipId, video, null, data.path("caption").asText(null)));
            store.addClips(List.of(clips.getLast()));
            for (JsonNode ann : t.path("annotations")) {
                JsonNode by = ann.path("completed_by");
                String annotator = by.isObject() ? by.path("email").asText("unknown") : by.isNumber() ? "user-" + by.asInt() : by.asText("unknown");
                Map<String, String> values = new LinkedHashMap<>();
                for (JsonNode r : ann.path("result")) {
                    String name = r.path("from_name").asText();
                    Attribute attr = config.attribute(name).orElseThrow(() ->
                            new LabelException(source + ": task " + clipIdOf(t) + ": attribute '" + name + "' is not configured"));
                    JsonNode v = r.path("value");
                    String value = v.has("rating") ? String.valueOf(v.get("rating").asInt())
                            : v.path("choices").path(0).asText(null);
                    if (value == null || !attr.accepts(value))
                        throw new LabelException(source + ": task " + clipIdOf(t) + ": value " + v + " is not an option of '" + name + "'");
                    values.put(name, value);
                }
                if (!values.isEmpty()) {
                    store.save(clipId, annotator, values);
                    stored += values.size();
                }
            }
        }
        return stored;
    }

    private static String clipIdOf(JsonNode t) {
        return t.path("data").path("clip_id").asText(t.path("id").asText("?"));
    }
}
