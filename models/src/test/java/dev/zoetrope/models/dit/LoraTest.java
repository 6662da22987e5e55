package dev.zoetrope.models.dit;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.pipeline.FixtureVerifier;
import dev.zoetrope.models.sampling.NoiseGenerator;

/** LoRA adapters on the wan-lora fixture's DiT: the forms people share, and what does not match is named. */
class LoraTest {
    @TempDir
    Path tmp;

    static Path fixture() {
        return Path.of(System.getProperty("zoetrope.fixtures")).resolve("wan-lora");
    }

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    @Test
    void theFixtureVerifies() {
        List<FixtureVerifier.Check> checks = FixtureVerifier.discover(fixture());
        assertEquals(3, checks.size());
        for (FixtureVerifier.Check c : checks)
            for (var cmp : c.run().get()) assertTrue(cmp.passes(), c.name() + ": " + cmp.describe(1e-4));
    }

    /** The fixture's kohya adapter rewritten in the other shared forms gives the same model. */
    @Test
    void everySharedFormOfOneAdapterGivesTheSameVelocity() throws IOException {
        try (PointerScope scope = new PointerScope(); Weights kohya = Weights.open(fixture().resolve("lora_kohya.safetensors"))) {
            Map<String, Tensor> peftDiffusers = new LinkedHashMap<>(), musubi = new LinkedHashMap<>();
            for (String key : kohya.names()) {
                String module = key.substring("diffusion_model.".length(), key.lastIndexOf(key.endsWith(".alpha") ? ".alpha" : ".lora_"));
                Tensor t = kohya.load(key, DType.F32);
                if (key.endsWith(".alpha")) {
                    musubi.put("lora_unet_" + module.replace('.', '_') + ".alpha", t);
                    continue;
                }
                boolean down = key.contains("lora_down");
                String diffusers = DitKeyLayout.WAN_DIFFUSERS.fileKey(module + ".weight").replace(".weight", "");
                // PEFT has no alpha here: fold kohya's alpha / rank (8 / 4) into B
                peftDiffusers.put("transformer." + diffusers + (down ? ".lora_A.weight" : ".lora_B.weight"),
                        down ? t : t.mul(dev.zoetrope.models.nn.Ops.scalar(2.0)));
                musubi.put("lora_unet_" + module.replace('.', '_') + (down ? ".lora_down.weight" : ".lora_up.weight"), t);
            }
            SafetensorsWriter.write(tmp.resolve("peft.safetensors"), peftDiffusers);
            SafetensorsWriter.write(tmp.resolve("musubi.safetensors"), musubi);
            Tensor reference = velocity(List.of(new Lora(fixture().resolve("lora_kohya.safetensors"), 1.0)), false);
            for (String form : List.of("peft.safetensors", "musubi.safetensors")) {
                Tensor v = velocity(List.of(new Lora(tmp.resolve(form), 1.0)), false);
                assertTrue(v.sub(reference).abs().max().item_double() < 1e-5, form);
            }
            Tensor base = velocity(List.of(), false);
            assertTrue(base.sub(reference).abs().max().item_double() > 1e-3, "the adapter changes the model");
            Tensor none = velocity(List.of(new Lora(fixture().resolve("lora_kohya.safetensors"), 0.0)), false);
            assertEquals(0.0, none.sub(base).abs().max().item_double(), "strength 0 is the base model, exactly");
        }
    }

    @Test
    void keysThatMatchNothingAreNamed() throws IOException {
        try (PointerScope scope = new PointerScope()) {
            Map<String, Tensor> other = new LinkedHashMap<>();
            other.put("diffusion_model.blocks.7.self_attn.q.lora_down.weight", new NoiseGenerator(1).gaussian(new long[]{4, 64}));
            other.put("diffusion_model.blocks.7.self_attn.q.lora_up.weight", new NoiseGenerator(2).gaussian(new long[]{64, 4}));
            SafetensorsWriter.write(tmp.resolve("other.safetensors"), other);
            var e = assertThrows(ModelLoadException.class, () -> velocity(List.of(new Lora(tmp.resolve("other.safetensors"), 1)), false));
            assertTrue(e.getMessage().contains("blocks.7.self_attn.q") && e.getMessage().contains("match no weight"), e.getMessage());
            assertEquals(0.0, velocity(List.of(new Lora(tmp.resolve("other.safetensors"), 1)), true)
                    .sub(velocity(List.of(), false)).abs().max().item_double(), "lenient: skipped, the base model");

            Map<String, Tensor> strange = new LinkedHashMap<>();
            strange.put("diffusion_model.blocks.0.self_attn.q.hada_w1_a", new NoiseGenerator(3).gaussian(new long[]{4, 64}));
            SafetensorsWriter.write(tmp.resolve("strange.safetensors"), strange);
            var s = assertThrows(ModelLoadException.class, () -> velocity(List.of(new Lora(tmp.resolve("strange.safetensors"), 1)), false));
            assertTrue(s.getMessage().contains("diffusion_model.blocks.0.self_attn.q.hada_w1_a"), s.getMessage());

            Map<String, Tensor> wrongShape = new LinkedHashMap<>();
            wrongShape.put("blocks.0.ffn.0.lora_down.weight", new NoiseGenerator(4).gaussian(new long[]{4, 64}));
            wrongShape.put("blocks.0.ffn.0.lora_up.weight", new NoiseGenerator(5).gaussian(new long[]{64, 4}));
            SafetensorsWriter.write(tmp.resolve("shape.safetensors"), wrongShape);
            var w = assertThrows(ModelLoadException.class, () -> velocity(List.of(new Lora(tmp.resolve("shape.safetensors"), 1)), false));
            assertTrue(w.getMessage().contains("blocks.0.ffn.0") && w.getMessage().contains("[96, 64]"), w.getMessage());
        }
    }

    @Test
    void theFlagSpelling() throws IOException {
        Path f = fixture().resolve("lora_peft.safetensors");
        assertEquals(new Lora(f, 1.0), Lora.parse(f.toString()));
        assertEquals(new Lora(f, 0.6), Lora.parse(f + ":0.6"));
        assertThrows(InvalidRequestException.class, () -> Lora.parse(tmp.resolve("missing.safetensors") + ":1"));
    }

    /** The fixture DiT's velocity for its io inputs with {@code loras} merged. */
    static Tensor velocity(List<Lora> loras, boolean lenient) {
        JsonNode cfg = Json.readTree(fixture().resolve("README.json")).get("dit");
        try (DiffusionTransformer dit = DiffusionTransformer.load(fixture().resolve("wan_dit.safetensors"),
                DitLoadOptions.defaults().withOverrides(cfg).withLoras(loras, lenient));
             Weights io = Weights.open(fixture().resolve("lora_io.safetensors"))) {
            return dit.forward(io.load("x", DType.F32).unsqueeze(0), io.load("t", DType.F64), List.of(io.load("context", DType.F32)), null);
        }
    }
}
