package dev.zoetrope.train.recipe;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.core.io.ClipWriter;
import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.train.lora.LoraLayers;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.loop.MetricsLog;

/**
 * The LoRA recipe's round trip on the micro model: adapters trained on its own latent shards with the base frozen,
 * exported in the kohya and PEFT forms, loaded back by {@code generate --lora}'s loader (merged) and on the fly, which all
 * give the model the run trained; an interrupted run resumes exactly.
 */
class LoraRunnerTest {
    @TempDir
    static Path dir;
    static Path base;

    @BeforeAll
    static void baseModel() {
        base = MicroModel.model();
    }

    /** The built-in micro-lora recipe on this test's base model and shards, in {@code form}, with {@code steps} steps. */
    static LoraRecipe recipe(String form, int steps) {
        ObjectNode n = Recipe.source("micro-lora").json().deepCopy();
        n.put("base", base.toString());
        n.put("shards", MicroModel.work().resolve("latents").toString());
        ((ObjectNode) n.path("lora")).put("form", form);
        ((ObjectNode) n.path("train")).put("steps", steps);
        return LoraRecipe.parse(n, "micro-lora for this test");
    }

    static LoraRunner runner(LoraRecipe r, String name) {
        return new LoraRunner(r, dir.resolve(name), dir.resolve(name + ".safetensors"), ComputeDevice.CPU);
    }

    @Test
    void exportedAdaptersLoadBackAsTheTrainedModel() throws Exception {
        byte[] baseBytes = Files.readAllBytes(base.resolve("dit/32p.safetensors"));
        runner(recipe("kohya", 8), "kohya").run(List.of());
        runner(recipe("peft", 8), "peft").run(List.of());
        assertArrayEquals(baseBytes, Files.readAllBytes(base.resolve("dit/32p.safetensors")), "the base stays as it was");

        // the files hold the forms people share
        try (Weights k = Weights.open(dir.resolve("kohya.safetensors")); Weights p = Weights.open(dir.resolve("peft.safetensors"))) {
            assertTrue(k.contains("diffusion_model.blocks.0.self_attn.q.lora_down.weight"), k.names().toString());
            assertTrue(k.contains("diffusion_model.blocks.0.ffn.0.alpha"));
            assertTrue(p.contains("transformer.blocks.0.attn1.to_q.lora_A.weight"), p.names().toString());
            assertTrue(p.contains("transformer.blocks.0.ffn.net.0.proj.lora_B.weight"), p.names().toString());
            assertEquals("4.0", p.metadata().get("lora_alpha"));
            assertEquals(15, k.names().size(), "5 targets × (down, up, alpha)");
            assertEquals(10, p.names().size(), "5 targets × (A, B)");
        }

        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            Tensor x = torch.randn(new long[]{2, 4, 5, 4, 4}), t = Tensors.fromDoubles(new double[]{900, 250}, 2);
            List<Tensor> text = List.of(torch.randn(new long[]{5, 16}), torch.randn(new long[]{8, 16}));
            Tensor plain = velocity(List.of(), x, t, text);
            Tensor kohya = velocity(List.of(new Lora(dir.resolve("kohya.safetensors"), 1)), x, t, text);
            Tensor peft = velocity(List.of(new Lora(dir.resolve("peft.safetensors"), 1)), x, t, text);
            Tensor trained = onTheFly(dir.resolve("kohya/lora"), x, t, text);
            assertTrue(Tensors.maxAbsDiff(plain, trained) > 1e-4, "the adapters changed the model: " + Tensors.maxAbsDiff(plain, trained));
            assertEquals(0.0, Tensors.maxAbsDiff(kohya, peft), 1e-6, "both forms are the same adapters");
            assertEquals(0.0, Tensors.maxAbsDiff(kohya, trained), 1e-5, "merged at load = the trained model on the fly");
            Tensor none = velocity(List.of(new Lora(dir.resolve("kohya.safetensors"), 0)), x, t, text);
            assertEquals(0.0, Tensors.maxAbsDiff(none, plain), 1e-6, "strength 0 is the base");
        }

        // generate --lora: the clip changes; at strength 0 it is the base's, byte for byte
        ModelDirectory m = ModelDirectory.detect(base);
        List<byte[]> plainFrames = frames(m, List.of()), loraFrames = frames(m, List.of(new Lora(dir.resolve("kohya.safetensors"), 1)));
        assertEquals(17, loraFrames.size());
        assertFalse(java.util.Arrays.equals(plainFrames.get(8), loraFrames.get(8)), "the adapter changes the clip");
        List<byte[]> zero = frames(m, List.of(new Lora(dir.resolve("kohya.safetensors"), 0)));
        for (int i = 0; i < zero.size(); i++) assertArrayEquals(plainFrames.get(i), zero.get(i), "frame " + i);

        // per request, on the fly (the service): the same clip as merged, and the next request is the base's again
        List<byte[]> perRequest = new ArrayList<>(), after = new ArrayList<>();
        try (TextToVideo shared = new TextToVideo(ModelLoader.parts(m, WeightDtype.AUTO),
                new TextToVideo.Options(true, true, null, Double.NaN), (mp4, w, h, fps) -> collector(perRequest.isEmpty() ? perRequest : after))) {
            shared.generate(GenerationRequest.of("a red circle moving left on a black background"), dir.resolve("unused.mp4"),
                    GenerationListener.NONE, List.of(new Lora(dir.resolve("kohya.safetensors"), 1)));
            shared.generate(GenerationRequest.of("a red circle moving left on a black background"), dir.resolve("unused.mp4"),
                    GenerationListener.NONE, List.of());
        }
        int worst = 0;
        for (int i = 0; i < loraFrames.size(); i++) {
            for (int p = 0; p < loraFrames.get(i).length; p++)
                worst = Math.max(worst, Math.abs((loraFrames.get(i)[p] & 0xff) - (perRequest.get(i)[p] & 0xff)));
            assertArrayEquals(plainFrames.get(i), after.get(i), "frame " + i + " of the request after is the base's");
        }
        assertTrue(worst <= 2, "on the fly = merged, up to rounding: worst pixel difference " + worst);

        // the training record travels beside the adapter
        for (String f : List.of("recipe.json", "lora-metrics.jsonl", "lora-loss.png", "lora-samples-step-8.png"))
            assertTrue(Files.size(dir.resolve("kohya-training").resolve(f)) > 0, f);
    }

    @Test
    void anInterruptedRunResumesExactly() throws Exception {
        LoraRecipe r = recipe("kohya", 8);
        runner(r, "whole").run(List.of(LoraRunner.Stage.LORA));
        LoraRunner split = runner(r, "split");
        split.train(r.baseDirectory(), 4);
        split.run(List.of(LoraRunner.Stage.LORA));
        var whole = MetricsLog.read(dir.resolve("whole/lora/metrics.jsonl"));
        var resumed = MetricsLog.read(dir.resolve("split/lora/metrics.jsonl"));
        assertEquals(8, whole.size());
        assertEquals(8, resumed.size());
        for (int i = 0; i < 8; i++)
            assertEquals(whole.get(i).path("loss").asDouble(), resumed.get(i).path("loss").asDouble(), 0.0, "loss at step " + (i + 1));
        try (Checkpoints.Loaded a = new Checkpoints(dir.resolve("whole/lora")).latest().orElseThrow();
             Checkpoints.Loaded b = new Checkpoints(dir.resolve("split/lora")).latest().orElseThrow()) {
            assertEquals(a.weights().keySet(), b.weights().keySet());
            for (String k : a.weights().keySet())
                assertEquals(0.0, Tensors.maxAbsDiff(a.weights().get(k), b.weights().get(k)), k);
            assertTrue(a.weights().keySet().stream().allMatch(k -> k.startsWith("lora.")), "only the adapters are checkpointed");
        }
    }

    @Test
    void float32AdaptersTrainOnABf16Base() throws Exception {
        ObjectNode n = recipe("kohya", 3).source().deepCopy();
        n.put("base", base.toString());
        n.put("shards", MicroModel.work().resolve("latents").toString());
        n.put("base_dtype", "bf16");
        LoraRunner r = runner(LoraRecipe.parse(n, "bf16 base"), "bf16");
        r.run(List.of());
        var rows = MetricsLog.read(dir.resolve("bf16/lora/metrics.jsonl"));
        assertEquals(3, rows.size());
        assertTrue(rows.stream().allMatch(row -> Double.isFinite(row.path("loss").asDouble())));
        try (Weights w = Weights.open(dir.resolve("bf16.safetensors"))) {
            assertEquals(dev.zoetrope.core.engine.DType.F32, w.info("diffusion_model.blocks.0.ffn.0.lora_up.weight").orElseThrow().dtype());
            try (PointerScope scope = new PointerScope()) {
                assertTrue(w.load("diffusion_model.blocks.0.ffn.0.lora_up.weight").abs().max().item_double() > 0, "up moved off zero");
            }
        }
    }

    @Test
    void targetsThatNameNothingAreRefused() {
        ObjectNode n = recipe("kohya", 2).source().deepCopy();
        n.put("base", base.toString());
        n.put("shards", MicroModel.work().resolve("latents").toString());
        ((ObjectNode) n.path("lora")).putArray("targets").add("attn.qq");
        var e = assertThrows(InvalidRequestException.class, () -> runner(LoraRecipe.parse(n, "bad targets"), "bad").run(List.of()));
        assertTrue(e.getMessage().contains("attn.qq"), e.getMessage());
        ((ObjectNode) n.path("lora")).put("rank", 0);
        assertThrows(ConfigException.class, () -> LoraRecipe.parse(n, "rank 0"));
        assertThrows(InvalidRequestException.class, () -> Recipe.load("micro-lora"), "a LoRA recipe is not one that trains from nothing");
    }

    /** The base DiT's velocity with {@code loras} merged as it loads. */
    private static Tensor velocity(List<Lora> loras, Tensor x, Tensor t, List<Tensor> text) {
        ModelDirectory m = ModelDirectory.detect(base);
        try (DiffusionTransformer dit = DiffusionTransformer.load(m.ditWeights(),
                DitLoadOptions.defaults().withOverrides(m.ditSettings()).withLoras(loras, false))) {
            return dit.forward(x, t, text, null);
        }
    }

    /** The base DiT's velocity with a run's newest adapters applied on the fly. */
    private static Tensor onTheFly(Path runDir, Tensor x, Tensor t, List<Tensor> text) throws java.io.IOException {
        ModelDirectory m = ModelDirectory.detect(base);
        LoraLayers.Spec spec = recipe("kohya", 8).options().lora();
        try (Checkpoints.Loaded last = new Checkpoints(runDir).latest().orElseThrow();
             DiffusionTransformer dit = DiffusionTransformer.load(m.ditWeights(), DitLoadOptions.defaults().withOverrides(m.ditSettings()));
             DiffusionTransformer adapted = dit.adapted(LoraLayers.fixed(LoraLayers.read(last.weights(), "lora.", spec)))) {
            return adapted.forward(x, t, text, null);
        }
    }

    private static ClipWriter collector(List<byte[]> out) {
        return new ClipWriter() {
            @Override
            public void frame(byte[] rgb) {
                out.add(rgb.clone());
            }

            @Override
            public void finish() {}

            @Override
            public void abort() {}
        };
    }

    /** The RGB frames {@code generate} makes with the model's defaults and {@code loras}. */
    private static List<byte[]> frames(ModelDirectory m, List<Lora> loras) throws java.io.IOException {
        List<byte[]> out = new ArrayList<>();
        TextToVideo.Options o = TextToVideo.Options.DEFAULT.withLoras(loras, false);
        try (TextToVideo t2v = new TextToVideo(ModelLoader.parts(m, WeightDtype.AUTO, ComputeDevice.CPU, o.offload(), loras, false), o,
                (mp4, w, h, fps) -> collector(out))) {
            t2v.generate(GenerationRequest.of("a red circle moving left on a black background"), dir.resolve("unused.mp4"), GenerationListener.NONE);
        }
        return out;
    }
}
