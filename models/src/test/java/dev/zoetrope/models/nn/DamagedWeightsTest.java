package dev.zoetrope.models.nn;

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
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.sampling.FlowSampler;
import dev.zoetrope.models.sampling.FlowSchedule;
import dev.zoetrope.models.sampling.FlowScheduler;
import dev.zoetrope.models.sampling.Guidance;
import dev.zoetrope.models.sampling.GuidedVelocity;

/** Weights that would compute silently wrong numbers are refused by name; a run whose latent goes NaN stops. */
class DamagedWeightsTest {
    @TempDir
    Path tmp;

    static final Path FIXTURE = Path.of(System.getProperty("zoetrope.fixtures")).resolve("wan-lora");

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** The fixture DiT rewritten with {@code key} replaced by {@code value}, then loaded. */
    private void loadWith(String key, Tensor value) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (Weights w = Weights.open(FIXTURE.resolve("wan_dit.safetensors"))) {
            for (String name : w.names()) tensors.put(name, name.equals(key) ? value : w.load(name));
            SafetensorsWriter.write(tmp.resolve("dit.safetensors"), tensors);
        }
        JsonNode cfg = Json.readTree(FIXTURE.resolve("README.json")).get("dit");
        DiffusionTransformer.load(tmp.resolve("dit.safetensors"), DitLoadOptions.defaults().withOverrides(cfg)).close();
    }

    @Test
    void aNonFiniteWeightIsRefusedByName() throws IOException {
        try (PointerScope scope = new PointerScope(); Weights w = Weights.open(FIXTURE.resolve("wan_dit.safetensors"))) {
            Tensor q = w.load("blocks.1.self_attn.q.weight", DType.F32).clone();
            q.view(-1).narrow(0, 17, 1).fill_(new org.bytedeco.pytorch.Scalar(Double.NaN));
            var e = assertThrows(ModelLoadException.class, () -> loadWith("blocks.1.self_attn.q.weight", q));
            assertTrue(e.getMessage().contains("'blocks.1.self_attn.q.weight' holds NaN or infinite"), e.getMessage());
            Tensor inf = w.load("head.head.bias", DType.F32).clone().fill_(new org.bytedeco.pytorch.Scalar(Double.POSITIVE_INFINITY));
            assertThrows(ModelLoadException.class, () -> loadWith("head.head.bias", inf));
            loadWith("head.head.bias", w.load("head.head.bias", DType.F32)); // the untouched file loads
        }
    }

    @Test
    void anIntegerWeightIsRefusedByName() throws IOException {
        try (PointerScope scope = new PointerScope(); Weights w = Weights.open(FIXTURE.resolve("wan_dit.safetensors"))) {
            Tensor asInt = w.load("blocks.0.ffn.0.weight", DType.F32).mul(dev.zoetrope.models.nn.Ops.scalar(100.0))
                    .to(org.bytedeco.pytorch.global.torch.ScalarType.Int);
            var e = assertThrows(ModelLoadException.class, () -> loadWith("blocks.0.ffn.0.weight", asInt));
            assertTrue(e.getMessage().contains("'blocks.0.ffn.0.weight' is I32"), e.getMessage());
        }
    }

    @Test
    void aRunWhoseLatentGoesNonFiniteStops() {
        try (PointerScope scope = new PointerScope();
             FlowScheduler euler = FlowScheduler.Kind.EULER.create(FlowSchedule.shiftedEuler(4, 3.0, 1000));
             Guidance cfg = Guidance.Kind.CFG.create(1.0)) {
            int[] calls = {0};
            GuidedVelocity nanAtStepTwo = (x, t) -> {
                Tensor v = ++calls[0] == 2 ? x.mul(dev.zoetrope.models.nn.Ops.scalar(Double.NaN)) : x.mul(dev.zoetrope.models.nn.Ops.scalar(0.5));
                return new GuidedVelocity.Prediction(v, v);
            };
            Tensor noise = dev.zoetrope.core.engine.Tensors.fromFloats(new float[]{1, 2, 3, 4}, 1, 1, 1, 2, 2);
            var e = assertThrows(InvalidRequestException.class,
                    () -> new FlowSampler(euler, cfg).sample(noise, nanAtStepTwo, FlowSampler.StepListener.NONE));
            assertTrue(e.getMessage().contains("after step 2 of 4"), e.getMessage());
            assertEquals(2, calls[0], "stopped at once");
        }
    }
}
