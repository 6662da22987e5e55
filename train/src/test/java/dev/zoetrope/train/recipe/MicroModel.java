package dev.zoetrope.train.recipe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The micro recipe at 17 frames, trained once per test JVM and shared by the tests that need a model made here (the
 * teacher of a distillation, the base of a LoRA): {@link #model()} is its model directory, {@link #work()} its run, with
 * the latent shards the DiT trained on in {@code latents/}.
 */
final class MicroModel {
    private static Path root;

    private MicroModel() {}

    static synchronized Path model() {
        return trained().resolve("model");
    }

    static synchronized Path work() {
        return trained().resolve("work");
    }

    private static Path trained() {
        if (root != null) return root;
        try {
            Path dir = Files.createTempDirectory("zoetrope-micro-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            ObjectNode micro = Recipe.source("micro").json().deepCopy();
            ((ObjectNode) micro.path("synth")).put("frames", 17);
            new RecipeRunner(Recipe.parse(micro, "micro at 17 frames"), dir.resolve("work"), dir.resolve("model")).run(List.of());
            root = dir;
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(all::add);
        } catch (IOException ignored) {
            return;
        }
        for (Path p : all) p.toFile().delete();
    }
}
