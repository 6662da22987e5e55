package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.pipeline.ModelDirectory;

/** Recognises checkpoint directory layouts for {@code info}. */
final class ModelDirectories {
    private ModelDirectories() {}

    record Part(String role, Path path, Path weights, List<String> notes) {}

    /** @param model whether this is a whole text-to-video model (Linum, zoetrope or Wan), not one part */
    record Layout(String description, List<Part> parts, boolean model) {}

    /**
     * The model family, where each part is and the family's defaults; for an incomplete model, what is missing.
     */
    static List<String> family(Path dir) {
        try {
            return ModelDirectory.detect(dir).describe();
        } catch (ModelLoadException e) {
            return List.of("not a complete model: " + e.getMessage());
        }
    }

    static Layout detect(Path dir) throws IOException {
        List<Part> parts = new ArrayList<>();
        if (Files.isDirectory(dir.resolve("dit")) && (Files.isDirectory(dir.resolve("vae")) || Files.isDirectory(dir.resolve("t5")))) {
            // dit/ may hold one file per resolution (360p, 720p): each is a whole model.
            addEachFile(parts, "dit", dir.resolve("dit"));
            addIfWeights(parts, "vae", dir.resolve("vae"));
            addHfText(parts, "t5 text encoder", dir.resolve("t5/text_encoder"));
            addTokenizer(parts, dir.resolve("t5/tokenizer"));
            return new Layout("Linum v2 checkpoint layout (dit/, vae/, t5/)", parts, true);
        }
        if (Files.isRegularFile(dir.resolve("config.json")) && hasPrefixed(dir, "diffusion_pytorch_model")) {
            addIfWeights(parts, "dit", dir);
            return new Layout("Wan 2.1 original layout (diffusion_pytorch_model*.safetensors + config.json)", parts, true);
        }
        if (Files.isRegularFile(dir.resolve("model_index.json"))) {
            JsonNode idx = Json.readTree(dir.resolve("model_index.json"));
            String cls = idx.path("_class_name").asText("?");
            for (String sub : List.of("transformer", "vae", "text_encoder")) addIfWeights(parts, sub, dir.resolve(sub));
            addTokenizer(parts, dir.resolve("tokenizer"));
            return new Layout("Diffusers layout (" + cls + ")", parts, true);
        }
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            JsonNode cfg = Json.readTree(dir.resolve("config.json"));
            String type = cfg.path("model_type").asText("");
            if (type.equals("t5") || type.equals("umt5")) {
                addHfText(parts, type + " encoder", dir);
                return new Layout("Hugging Face " + type.toUpperCase(java.util.Locale.ROOT) + " directory", parts, false);
            }
        }
        if (InfoCommand.hasSafetensors(dir)) {
            parts.add(new Part("weights", dir, dir, List.of()));
            return new Layout("directory of safetensors files", parts, false);
        }
        throw new InvalidRequestException(dir + ": not a checkpoint directory I recognise (expected a Linum layout dit/ vae/ t5/, "
                + "a Diffusers model_index.json, a Hugging Face config.json, or .safetensors files)");
    }

    private static boolean hasPrefixed(Path dir, String prefix) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(prefix));
        }
    }

    private static void addIfWeights(List<Part> parts, String role, Path dir) throws IOException {
        if (InfoCommand.hasSafetensors(dir)) parts.add(new Part(role, dir, dir, List.of()));
        else parts.add(new Part(role, dir, null, List.of("missing: no .safetensors here")));
    }

    private static void addEachFile(List<Part> parts, String role, Path dir) throws IOException {
        List<Path> files = List.of();
        boolean sharded = false;
        if (Files.isDirectory(dir)) {
            try (var s = Files.list(dir)) {
                List<Path> all = s.sorted().toList();
                files = all.stream().filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList();
                sharded = all.stream().anyMatch(p -> p.getFileName().toString().endsWith(".safetensors.index.json"));
            }
        }
        if (sharded) {
            addIfWeights(parts, role, dir);
            return;
        }
        if (files.isEmpty()) parts.add(new Part(role, dir, null, List.of("missing: no .safetensors here")));
        for (Path f : files) {
            String variant = f.getFileName().toString().replaceFirst("\\.safetensors$", "");
            parts.add(new Part(files.size() == 1 ? role : role + " " + variant, f, f, List.of()));
        }
    }

    private static void addHfText(List<Part> parts, String role, Path dir) throws IOException {
        List<String> notes = new ArrayList<>();
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            JsonNode c = Json.readTree(dir.resolve("config.json"));
            notes.add("config: model_type " + c.path("model_type").asText("?") + ", d_model " + c.path("d_model").asText("?")
                    + ", layers " + c.path("num_layers").asText("?") + ", heads " + c.path("num_heads").asText("?")
                    + ", vocab " + c.path("vocab_size").asText("?"));
        }
        parts.add(new Part(role, dir, InfoCommand.hasSafetensors(dir) ? dir : null, notes));
    }

    private static void addTokenizer(List<Part> parts, Path dir) {
        List<String> notes = new ArrayList<>();
        for (String f : List.of("spiece.model", "tokenizer.json"))
            if (Files.isRegularFile(dir.resolve(f))) notes.add("has " + f);
        if (notes.isEmpty()) notes.add("missing: neither spiece.model nor tokenizer.json");
        parts.add(new Part("tokenizer", dir, null, notes));
    }
}
