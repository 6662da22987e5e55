package dev.zoetrope.train.loop;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;

/**
 * {@code metrics.jsonl}: one JSON object per logged step. On resume, lines past the checkpoint's step are
 * dropped first, so the log reads as one uninterrupted run. Beside it, the same numbers and the sample strips go to a
 * TensorBoard event file ({@link TensorBoardLog}).
 */
public final class MetricsLog implements AutoCloseable {
    private final Path file;
    private BufferedWriter out;
    private TensorBoardLog events;

    public MetricsLog(Path file, int resumeStep) throws IOException {
        this.file = file;
        if (Files.exists(file)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                try {
                    JsonNode n = Json.PLAIN.readTree(line);
                    if (n.path("step").asInt(Integer.MAX_VALUE) <= resumeStep) kept.add(line);
                } catch (IOException e) {
                    // a line cut by a kill is dropped
                }
            }
            AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
        }
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        events = new TensorBoardLog(file.toAbsolutePath().getParent(), resumeStep);
    }

    public void log(Map<String, Object> values) throws IOException {
        out.write(Json.PLAIN.writeValueAsString(new LinkedHashMap<>(values)));
        out.write('\n');
        out.flush();
        if (values.get("step") instanceof Number step)
            for (var e : values.entrySet())
                if (!e.getKey().equals("step") && e.getValue() instanceof Number n) events.scalar(step.longValue(), e.getKey(), n.doubleValue());
    }

    /** A picture at {@code step} (a sample strip) for TensorBoard, tagged {@code tag}. */
    public void image(int step, String tag, Path png) throws IOException {
        byte[] bytes = Files.readAllBytes(png);
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(bytes));
        if (img == null) throw new IOException(png + ": not a picture ImageIO reads");
        events.image(step, tag, bytes, img.getWidth(), img.getHeight());
    }

    /** The TensorBoard event file this log writes. */
    public Path events() {
        return events.file();
    }

    /** Every logged line, in order. */
    public static List<JsonNode> read(Path file) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        if (!Files.exists(file)) return rows;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8))
            if (!line.isBlank()) rows.add(Json.PLAIN.readTree(line));
        return rows;
    }

    @Override
    public void close() throws IOException {
        try {
            if (out != null) out.close();
        } finally {
            out = null;
            if (events != null) events.close();
            events = null;
        }
    }
}
