package dev.zoetrope.train.recipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.train.dit.SampleStrips;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.reflow.ReflowTraining;
import dev.zoetrope.train.reflow.TeacherPairs;

/**
 * A recipe that distils a teacher model into a few-step student by reflow with guided couplings (see
 * {@code recipes/tiny-turbo.json}): which teacher, how many (noise, latent) pairs to draw from it, how to train the
 * student on them, and the student's generation defaults ({@code default_steps} is the number of steps it is trained
 * for; {@code default_guidance} 0, so it samples with the conditional forward alone).
 *
 * @param teacher       the teacher model: a directory the loader accepts (relative paths are tried from the working
 *                      directory, then from the zoetrope home) or a repo id in the local Hugging Face cache
 * @param samplePrompts the prompts of the student's sample strips
 */
public record ReflowRecipe(String name, String teacher, TeacherPairs.Options pairs, ReflowTraining.Options distill,
                           JsonNode generation, List<String> samplePrompts, JsonNode source) {
    /** The field that makes a recipe a distillation. */
    public static final String TEACHER = "teacher";

    public ReflowRecipe {
        if (studentSteps(generation) < 1)
            throw new ConfigException("recipe " + name + ": generation.default_steps (the student's sampling steps) must be ≥ 1");
    }

    /** A built-in reflow recipe ({@code tiny-turbo}, {@code micro-turbo}) or a JSON file. */
    public static ReflowRecipe load(String nameOrFile) {
        Recipe.Source s = Recipe.source(nameOrFile);
        return parse(s.json(), s.label());
    }

    public static ReflowRecipe parse(JsonNode n, String source) {
        try {
            if (!n.path(TEACHER).isTextual() || n.path(TEACHER).asText().isBlank())
                throw new IllegalArgumentException("'teacher' must name the teacher's model directory");
            JsonNode p = n.path("pairs");
            TeacherPairs.Options pairs = new TeacherPairs.Options(p.path("count").asInt(0), p.path("captions").asText(TeacherPairs.SYNTH),
                    p.path("phrasings").asInt(0), p.path("seed").asLong(1), p.path("clips_per_shard").asInt(100));
            JsonNode d = n.path("distill");
            if (d.path("train").isMissingNode()) throw new IllegalArgumentException("missing a 'distill.train' section");
            ReflowTraining.Options distill = new ReflowTraining.Options(Json.SNAKE.treeToValue(d.path("train"), TrainConfig.class),
                    d.path("sigma_jitter").asDouble(0.03), d.path("uniform_share").asDouble(0.2));
            List<String> prompts = new ArrayList<>();
            n.path("sample_prompts").forEach(x -> prompts.add(x.asText()));
            return new ReflowRecipe(n.path("name").asText("reflow"), n.path(TEACHER).asText(), pairs, distill, n.path("generation"),
                    prompts.isEmpty() ? SampleStrips.canonicalPrompts() : List.copyOf(prompts), n);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    /** How many steps the student samples with, and is trained for. */
    public int studentSteps() {
        return studentSteps(generation);
    }

    private static int studentSteps(JsonNode generation) {
        return generation.path("default_steps").asInt(0);
    }

    /** The student's guidance scale: 0 unless the recipe says otherwise (the guidance is distilled into it). */
    public double studentGuidance() {
        return generation.path("default_guidance").asDouble(0.0);
    }

    /** The teacher's model directory: {@link #teacher} from the working directory, else from the zoetrope home. */
    public ModelDirectory teacherDirectory() {
        Path p = LoraRecipe.fromHome(teacher);
        return ModelDirectory.resolve(Files.exists(p) ? p.toString() : teacher, null);
    }
}
