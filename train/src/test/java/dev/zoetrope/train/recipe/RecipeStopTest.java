package dev.zoetrope.train.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.loop.Trainer;

/** A stopped training stage ends a recipe's run there: no timing for it, no later stage, above all no export. */
class RecipeStopTest {
    @TempDir
    Path dir;

    private enum Step {
        FIRST, SECOND, THIRD
    }

    @Test
    void theStageLoopEndsAtTheFirstStageThatDidNotFinish() throws Exception {
        List<Step> ran = new ArrayList<>();
        boolean finished = RecipeRunner.runStages(dir, "loop", Json.PLAIN.createObjectNode(), List.of(Step.values()), s -> {
            ran.add(s);
            return s != Step.SECOND;
        });
        assertFalse(finished);
        assertEquals(List.of(Step.FIRST, Step.SECOND), ran, "the stage after the stopped one did not run");
        assertTrue(Files.isRegularFile(dir.resolve("timings-first.json")));
        assertFalse(Files.exists(dir.resolve("timings-second.json")), "a stopped stage has no timing");
        // a CPU run's bytes depend on both thread counts, so the timing records them
        JsonNode timing = Json.PLAIN.readTree(dir.resolve("timings-first.json").toFile());
        assertEquals(Engine.init().threads(), timing.path("threads").asInt(-1), timing.toString());
        assertEquals(Engine.init().blasThreads(), timing.path("blas_threads").asInt(-1), timing.toString());
        assertTrue(timing.path("seconds").asDouble(-1) >= 0, timing.toString());

        ran.clear();
        assertTrue(RecipeRunner.runStages(dir, "loop", Json.PLAIN.createObjectNode(), List.of(Step.values()), s -> ran.add(s)));
        assertEquals(List.of(Step.values()), ran);
        assertTrue(Files.isRegularFile(dir.resolve("timings-third.json")));
    }

    /**
     * The micro recipe's DiT stage (on the shared micro run's latents, tokenizer and VAE, copied into {@code work}) with
     * {@code steps} steps and no sample strips.
     */
    private static ObjectNode ditOnMicroRun(Path work, int steps) throws Exception {
        for (String part : List.of("latents", "tokenizer", "vae/export"))
            if (!Files.exists(work.resolve(part))) copyTree(MicroModel.work().resolve(part), work.resolve(part));
        ObjectNode json = Recipe.source("micro").json().deepCopy();
        ((ObjectNode) json.path("synth")).put("frames", 17);
        ((ObjectNode) json.path("dit").path("train")).put("steps", steps).put("checkpoint_every", 100_000).put("sample_every", 0);
        return json;
    }

    /** Waits until {@code metrics} has {@code rows} rows or {@code running} ended. */
    private static void awaitSteps(Path metrics, int rows, java.util.function.BooleanSupplier running) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (running.getAsBoolean() && System.nanoTime() < deadline && (!Files.isRegularFile(metrics) || Files.readAllLines(metrics).size() < rows))
            Thread.sleep(20);
    }

    /**
     * Training stopped from within the JVM ({@link Trainer#stopAll}, what Ctrl-C does while the JVM goes on): the run
     * returns false with a checkpoint written and nothing exported; the same run again continues and exports.
     */
    @Test
    void aRecipeStoppedInItsDitStageExportsNothingAndContinuesWhenRunAgain() throws Exception {
        Path work = dir.resolve("work"), model = dir.resolve("model");
        Recipe endless = Recipe.parse(ditOnMicroRun(work, 1_000_000), "micro, long");
        List<RecipeRunner.Stage> stages = List.of(RecipeRunner.Stage.DIT, RecipeRunner.Stage.EXPORT);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread training = Thread.ofPlatform().start(() -> {
            try {
                result.set(new RecipeRunner(endless, work, model).run(stages));
            } catch (Throwable e) {
                result.set(e);
            }
        });
        awaitSteps(work.resolve("dit/metrics.jsonl"), 3, training::isAlive);
        assertTrue(training.isAlive(), "training ended before it could be stopped: " + result.get());
        Trainer.stopAll();
        training.join(TimeUnit.SECONDS.toMillis(120));
        assertFalse(training.isAlive(), "the run ended");

        assertEquals(Boolean.FALSE, result.get(), "the run says it was stopped");
        List<Path> checkpoints = new Checkpoints(work.resolve("dit")).list();
        assertEquals(1, checkpoints.size(), "one checkpoint, where it stopped");
        assertFalse(Files.exists(work.resolve("timings-dit.json")), "a stopped stage has no timing");
        assertFalse(Files.exists(model), "no model");
        assertFalse(Files.exists(dir.resolve("model.part")), "no half-assembled model");

        int stoppedAt;
        try (Checkpoints.Loaded last = new Checkpoints(work.resolve("dit")).latest().orElseThrow()) {
            stoppedAt = last.step();
        }
        assertTrue(stoppedAt >= 3, "stopped at step " + stoppedAt);
        Recipe shorter = Recipe.parse(ditOnMicroRun(work, stoppedAt + 4), "micro, continued");
        assertTrue(new RecipeRunner(shorter, work, model).run(stages), "the same run again finishes");
        assertEquals(stoppedAt + 4, Files.readAllLines(work.resolve("dit/metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count(),
                "it continued from the checkpoint: one loss row per step");
        assertTrue(Files.isRegularFile(model.resolve("zoetrope.json")) && Files.isRegularFile(work.resolve("timings-dit.json")));
    }

    /**
     * A child JVM trains the micro recipe's DiT with many steps and exports; it gets SIGTERM (what Ctrl-C does) once
     * training is under way. It writes a checkpoint and exits without exporting anything.
     */
    @Test
    void aRecipeProcessStoppedBySigtermWritesACheckpointAndExportsNothing() throws Exception {
        Path work = dir.resolve("work"), model = dir.resolve("model"), recipe = dir.resolve("recipe.json");
        Json.write(recipe, ditOnMicroRun(work, 1_000_000));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("child.log");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                StopProbe.class.getName(), recipe.toString(), work.toString(), model.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        awaitSteps(work.resolve("dit/metrics.jsonl"), 3, p::isAlive);
        assertTrue(p.isAlive(), "the child ended before it could be stopped: " + Files.readString(log));
        p.destroy(); // SIGTERM: the shutdown hook asks the trainer to stop
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child stopped");
        String said = Files.readString(log);

        assertTrue(said.contains("stopped at step"), said);
        assertFalse(new Checkpoints(work.resolve("dit")).list().isEmpty(), "a checkpoint to continue from");
        assertFalse(Files.exists(work.resolve("timings-dit.json")), "a stopped stage has no timing");
        assertFalse(said.contains("== micro: export"), "the export stage did not start: " + said);
        assertFalse(Files.exists(model), "no model");
        assertFalse(Files.exists(dir.resolve("model.part")), "no half-assembled model");
    }

    /** The child: the recipe's DiT and export stages. */
    public static final class StopProbe {
        public static void main(String[] args) throws Exception {
            Recipe r = Recipe.parse(Json.readTree(Path.of(args[0])), "micro, long");
            new RecipeRunner(r, Path.of(args[1]), Path.of(args[2])).run(List.of(RecipeRunner.Stage.DIT, RecipeRunner.Stage.EXPORT));
        }
    }

    private static void copyTree(Path from, Path to) throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(from)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            Path dst = to.resolve(from.relativize(f).toString());
            Files.createDirectories(dst.getParent());
            Files.copy(f, dst, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
