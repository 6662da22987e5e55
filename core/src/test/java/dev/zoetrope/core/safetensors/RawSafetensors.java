package dev.zoetrope.core.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A second, deliberately naive reading of a safetensors file (whole file in memory, no validation), so
 * tests can check {@link SafetensorsFile} against something that shares none of its code.
 */
record RawSafetensors(Map<String, Entry> entries, Map<String, String> metadata, byte[] file, int dataStart) {

    record Entry(String dtype, long[] shape, int begin, int end) {
        long numel() {
            return Arrays.stream(shape).reduce(1, Math::multiplyExact);
        }
    }

    static RawSafetensors read(Path path) throws IOException {
        byte[] file = Files.readAllBytes(path);
        int headerLen = (int) ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode root = new ObjectMapper().readTree(new String(file, 8, headerLen, StandardCharsets.UTF_8));
        Map<String, Entry> entries = new TreeMap<>();
        Map<String, String> metadata = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            JsonNode v = e.getValue();
            if (e.getKey().equals("__metadata__")) {
                v.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            long[] shape = new long[v.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = v.get("shape").get(i).asLong();
            entries.put(e.getKey(), new Entry(v.get("dtype").asText(), shape,
                    v.get("data_offsets").get(0).asInt(), v.get("data_offsets").get(1).asInt()));
        }
        return new RawSafetensors(entries, metadata, file, 8 + headerLen);
    }

    int headerLength() {
        return dataStart - 8;
    }

    String headerText() {
        return new String(file, 8, headerLength(), StandardCharsets.UTF_8);
    }

    byte[] bytes(String name) {
        Entry e = entries.get(name);
        return Arrays.copyOfRange(file, dataStart + e.begin(), dataStart + e.end());
    }

    ByteBuffer buffer(String name) {
        return ByteBuffer.wrap(bytes(name)).order(ByteOrder.LITTLE_ENDIAN);
    }

    long parameterCount() {
        return entries.values().stream().mapToLong(Entry::numel).sum();
    }
}
