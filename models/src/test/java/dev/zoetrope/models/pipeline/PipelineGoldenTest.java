package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.sampling.GuidedVelocity;

/** The sampling paths against the reference runs in the fixtures, through the same checks {@code verify} runs. */
class PipelineGoldenTest {
    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    static List<Comparison> run(String fixture, String checkPrefix) {
        List<FixtureVerifier.Check> checks = FixtureVerifier.discover(fixtures().resolve(fixture)).stream()
                .filter(c -> c.name().startsWith(checkPrefix)).toList();
        assertFalse(checks.isEmpty(), "no check named " + checkPrefix + "* in " + fixture);
        return checks.stream().flatMap(c -> c.run().get().stream()).toList();
    }

    @Test
    void linumEulerApgPipelineMatchesLatentsAndPixels() {
        List<Comparison> results = run("linum-tiny", "pipeline (");
        assertEquals(List.of("expected_latents", "expected_pixels"), results.stream().map(Comparison::name).toList());
        for (Comparison c : results) assertTrue(c.passes(), c.describe(Comparison.TOLERANCE));
    }

    @Test
    void wanUniPcCfgTrajectoryMatchesAndTimestepsAreExact() {
        List<Comparison> results = run("wan-tiny", "sampler");
        assertEquals(List.of("timesteps", "timesteps_50_shift5", "expected_latents"), results.stream().map(Comparison::name).toList());
        for (Comparison c : results) assertTrue(c.passes(), c.describe(Comparison.TOLERANCE));
    }

    @Test
    void batchedGuidanceEqualsSeparateForwardsWithTheRealDit() {
        Path dir = fixtures().resolve("wan-tiny");
        JsonNode ditCfg = Json.readTree(dir.resolve("README.json")).get("dit");
        try (PointerScope scope = new PointerScope();
             DitVelocity dit = new DitVelocity(DiffusionTransformer.load(dir.resolve("wan_dit.safetensors"),
                     DitLoadOptions.defaults().withOverrides(ditCfg)));
             Weights w = Weights.open(dir.resolve("wan_io.safetensors"))) {
            Tensor x = w.load("noise", DType.F32).unsqueeze(0);
            Tensor cond = w.load("context", DType.F32), uncond = w.load("null_context", DType.F32);
            GuidedVelocity.Prediction batched = TextToVideo.guided(dit, cond, uncond, true).predict(x, 937);
            GuidedVelocity.Prediction separate = TextToVideo.guided(dit, cond, uncond, false).predict(x, 937);
            Comparison c = Comparison.of("cond", batched.cond(), separate.cond());
            Comparison u = Comparison.of("uncond", batched.uncond(), separate.uncond());
            assertTrue(c.passes(1e-5) && u.passes(1e-5), c.describe(1e-5) + " / " + u.describe(1e-5));
            assertFalse(Comparison.of("cond vs uncond", batched.cond(), batched.uncond()).passes(1e-3),
                    "the two contexts must give different velocities");
        }
    }
}
