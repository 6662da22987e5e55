package dev.zoetrope.curate.labels;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;

/**
 * Finds clips to label: every mp4/webm under a directory (with {@code name.png} as its strip and {@code name.json}'s
 * {@code caption} when present), or the clips named in a curation {@code manifest.jsonl} (media in {@code clips/}
 * beside it). Media paths are relative to {@link #root()}.
 */
public record ClipCatalog(Path root, List<LabelStore.Clip> clips) {
    public static ClipCatalog of(Path source) throws IOException {
        if (Files.isDirectory(source)) return fromDirectory(source);
        if (Files.isRegularFile(source) && source.getFileName().toString().endsWith(".jsonl")) return fromManifest(source);
        throw new LabelException(source + ": give a directory of clips or a manifest.jsonl");
    }

    private static ClipCatalog fromDirectory(Path dir) throws IOException {
        List<LabelStore.Clip> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".mp4") || f.toString().endsWith(".webm")).sorted().toList())
                out.add(clip(dir, p, p.getFileName().toString().replaceFirst("\\.[^.]+$", "")));
        }
        return new ClipCatalog(dir, out);
    }

    private static ClipCatalog fromManifest(Path manifest) throws IOException {
        Path root = manifest.toAbsolutePath().getParent();
        List<LabelStore.Clip> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(manifest)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                JsonNode row = Json.PLAIN.readTree(line);
                String id = row.path("clip_id").asText(null);
                if (id == null) throw new LabelException(manifest + ": line " + n + " has no clip_id");
                Path video = root.resolve("clips").resolve(id + ".mp4");
                if (Files.exists(video)) out.add(clip(root, video, id));
            }
        }
        return new ClipCatalog(root, out);
    }

    private static LabelStore.Clip clip(Path root, Path video, String id) {
        String base = video.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        Path strip = video.resolveSibling(base + ".png");
        Path sidecar = video.resolveSibling(base + ".json");
        String caption = null;
        if (Files.exists(sidecar)) {
            try {
                caption = Json.readTree(sidecar).path("caption").asText(null);
            } catch (RuntimeException e) {
                caption = null; // a broken sidecar only costs the caption
            }
        }
        return new LabelStore.Clip(id, rel(root, video), Files.exists(strip) ? rel(root, strip) : null, caption);
    }

    private static String rel(Path root, Path p) {
        return root.toAbsolutePath().relativize(p.toAbsolutePath()).toString().replace('\\', '/');
    }
}
