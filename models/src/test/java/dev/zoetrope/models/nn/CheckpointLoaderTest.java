package dev.zoetrope.models.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * The one loader is strict for every model alike: a tensor the model needs and the file lacks, or one the file holds
 * and the model does not use, is refused with its name.
 */
class CheckpointLoaderTest {
    static final Path FIXTURES = Path.of(System.getProperty("zoetrope.fixtures"));
    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** A copy of {@code in} with {@code edit} applied to its tensors. */
    private Path rewrite(Path in, String name, Consumer<Map<String, Tensor>> edit) throws IOException {
        Path out = tmp.resolve(name);
        try (Weights w = Weights.open(in); PointerScope scope = new PointerScope()) {
            Map<String, Tensor> tensors = new TreeMap<>();
            for (String n : w.names()) tensors.put(n, w.load(n));
            edit.accept(tensors);
            SafetensorsWriter.write(out, tensors, Map.of("format", "pt"));
        }
        return out;
    }

    private void assertRefused(Function<Path, AutoCloseable> load, Path file, String key) throws Exception {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> load.apply(file).close());
        assertTrue(e.getMessage().contains("'" + key + "'") || e.getMessage().contains(key + "]") || e.getMessage().contains(key + ","),
                e.getMessage());
    }

    private void strictAbout(Path checkpoint, Function<Path, AutoCloseable> load, String needed, String extra) throws Exception {
        try (AutoCloseable ok = load.apply(checkpoint)) {
            assertNotNull(ok, "the checkpoint as it is loads");
        }
        assertRefused(load, rewrite(checkpoint, "missing.safetensors", t -> assertNotNull(t.remove(needed))), needed);
        assertRefused(load, rewrite(checkpoint, "unused.safetensors", t -> t.put(extra, torch.zeros(3))), extra);
    }

    @Test
    void ditRefusesMissingAndUnusedTensors() throws Exception {
        Path linum = FIXTURES.resolve("linum-tiny");
        DitLoadOptions options = DitLoadOptions.defaults().withOverrides(Json.readTree(linum.resolve("README.json")).get("dit"));
        strictAbout(linum.resolve("dit.safetensors"), f -> DiffusionTransformer.load(f, options),
                "model.blocks.1.ffn.2.bias", "model.blocks.0.self_attn.extra.weight");
    }

    @Test
    void ditIgnoresOnlyWhatSitsBesideItsPrefix() throws Exception {
        Path linum = FIXTURES.resolve("linum-tiny");
        DitLoadOptions options = DitLoadOptions.defaults().withOverrides(Json.readTree(linum.resolve("README.json")).get("dit"));
        Path beside = rewrite(linum.resolve("dit.safetensors"), "beside.safetensors", t -> t.put("ema_decay", torch.zeros(1)));
        try (DiffusionTransformer m = DiffusionTransformer.load(beside, options)) {
            assertEquals(2, m.config().numLayers(), "Linum's DiT is everything under model.; other tensors belong to other parts");
        }
    }

    @Test
    void aPlanChecksEverythingReadsNothingAndThenReadsTensorByTensor() throws Exception {
        Path linum = FIXTURES.resolve("linum-tiny");
        DitLoadOptions options = DitLoadOptions.defaults().withOverrides(Json.readTree(linum.resolve("README.json")).get("dit"));
        try (Weights w = Weights.open(linum.resolve("dit.safetensors"));
             DiffusionTransformer planned = DiffusionTransformer.plan(w, options);
             DiffusionTransformer loaded = DiffusionTransformer.load(linum.resolve("dit.safetensors"), options);
             PointerScope scope = new PointerScope()) {
            assertEquals(loaded.config(), planned.config());
            assertEquals(loaded.parameters().keySet(), new java.util.TreeSet<>(planned.params().declared().stream().map(Params.Declared::key).toList()));
            Tensor shapeOnly = planned.parameters().get("blocks.1.ffn.2.weight");
            assertTrue(shapeOnly.is_meta(), "a plan holds no data");
            for (Params.Declared d : planned.params().declared())
                assertEquals(0.0, dev.zoetrope.core.engine.Tensors.maxAbsDiff(loaded.parameters().get(d.key()), planned.params().read(d.key())), d.key());
        }
        Path unused = rewrite(linum.resolve("dit.safetensors"), "plan-unused.safetensors", t -> t.put("model.extra.weight", torch.zeros(3)));
        try (Weights w = Weights.open(unused)) {
            ModelLoadException e = assertThrows(ModelLoadException.class, () -> DiffusionTransformer.plan(w, options).close());
            assertTrue(e.getMessage().contains("model.extra.weight"), e.getMessage());
        }
    }

    @Test
    void scaledFp8DequantizesOnLoadAndItsScalesCountAsUsed() throws Exception {
        Path pth = FIXTURES.resolve("wan-pth");
        DitLoadOptions options = DitLoadOptions.defaults().withOverrides(Json.readTree(pth.resolve("README.json")).get("dit_fp8"));
        Path fp8 = pth.resolve("wan_dit_fp8.safetensors");
        try (DiffusionTransformer bf16 = DiffusionTransformer.load(fp8, options);
             DiffusionTransformer f32 = DiffusionTransformer.load(fp8, options.withCast(DType.F32));
             Weights w = Weights.open(fp8); PointerScope scope = new PointerScope()) {
            assertEquals(DType.BF16, bf16.computeDtype(), "fp8 is for storing: it computes in bf16 unless asked");
            assertEquals(DType.F32, f32.computeDtype());
            Tensor expected = w.load("blocks.0.ffn.0.weight", DType.F32).mul(w.load("blocks.0.ffn.0.scale_weight", DType.F32));
            assertEquals(0.0, dev.zoetrope.core.engine.Tensors.maxAbsDiff(expected, f32.parameters().get("blocks.0.ffn.0.weight")),
                    "stored value times its scale");
        }
        // a scale per output row broadcasts over the rows; a scale of another size is refused by name
        Path perRow = rewrite(fp8, "per-row.safetensors", t -> t.put("blocks.0.ffn.0.scale_weight",
                t.get("blocks.0.ffn.0.scale_weight").expand(96).contiguous()));
        try (DiffusionTransformer m = DiffusionTransformer.load(perRow, options.withCast(DType.F32));
             Weights w = Weights.open(fp8); PointerScope scope = new PointerScope()) {
            Tensor expected = w.load("blocks.0.ffn.0.weight", DType.F32).mul(w.load("blocks.0.ffn.0.scale_weight", DType.F32));
            assertEquals(0.0, dev.zoetrope.core.engine.Tensors.maxAbsDiff(expected, m.parameters().get("blocks.0.ffn.0.weight")));
        }
        Path bad = rewrite(fp8, "bad-scale.safetensors", t -> t.put("blocks.0.ffn.0.scale_weight", torch.ones(5)));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> DiffusionTransformer.load(bad, options).close());
        assertTrue(e.getMessage().contains("blocks.0.ffn.0.scale_weight"), e.getMessage());
    }

    @Test
    void aWrapperPrefixIsFoundAndOnlyItsTensorsAreTheDits() throws Exception {
        Path wan = FIXTURES.resolve("wan-tiny");
        DitLoadOptions options = DitLoadOptions.defaults().withOverrides(Json.readTree(wan.resolve("README.json")).get("dit"));
        Path wrapped = rewrite(wan.resolve("wan_dit.safetensors"), "comfy.safetensors", t -> {
            Map<String, Tensor> renamed = new TreeMap<>();
            t.forEach((k, v) -> renamed.put("model.diffusion_model." + k, v));
            t.clear();
            t.putAll(renamed);
            t.put("first_stage_model.decoder.conv_in.weight", torch.zeros(2));   // another part of a single-file checkpoint
        });
        try (DiffusionTransformer plain = DiffusionTransformer.load(wan.resolve("wan_dit.safetensors"), options);
             DiffusionTransformer comfy = DiffusionTransformer.load(wrapped, options); PointerScope scope = new PointerScope()) {
            assertEquals(plain.parameters().keySet(), comfy.parameters().keySet());
            for (String k : plain.parameters().keySet())
                assertEquals(0.0, dev.zoetrope.core.engine.Tensors.maxAbsDiff(plain.parameters().get(k), comfy.parameters().get(k)), k);
        }
    }

    @Test
    void vaeRefusesMissingAndUnusedTensors() throws Exception {
        strictAbout(FIXTURES.resolve("linum-tiny/vae.safetensors"), WanVae::load, "decoder.head.2.bias", "decoder.middle.1.extra.gamma");
    }

    @Test
    void t5RefusesMissingAndUnusedTensors() throws Exception {
        Path t5 = FIXTURES.resolve("t5-tiny");
        T5Config config = T5Config.read(t5.resolve("t5_config.json"));
        Function<Path, AutoCloseable> load = f -> {
            try (Weights w = Weights.open(f)) {
                return T5Encoder.load(config, w, null);
            }
        };
        strictAbout(t5.resolve("t5_encoder.safetensors"), load, "encoder.final_layer_norm.weight",
                "encoder.block.0.layer.0.SelfAttention.extra.weight");
        // a whole seq2seq checkpoint's decoder is not the encoder's business
        Path whole = rewrite(t5.resolve("t5_encoder.safetensors"), "whole.safetensors",
                t -> t.put("decoder.block.0.layer.0.SelfAttention.q.weight", torch.zeros(2, 2)));
        try (AutoCloseable ok = load.apply(whole)) {
            assertNotNull(ok);
        }
    }

    @Test
    void declarationsAreTheInventoryOfEveryModel() {
        DitConfig dit = dev.zoetrope.models.ModelFamily.WAN.dit().withNumLayers(2);
        List<Params.Declared> declared = DiffusionTransformer.declared(dit);
        assertEquals("patch_embedding.weight", declared.getFirst().key());
        assertArrayEquals(new long[]{1536, 16, 1, 2, 2}, declared.getFirst().shape());
        DitConfig small = new DitConfig(dev.zoetrope.models.ModelFamily.LINUM, 64, 128, 2, 2, 32, 48, 16, 16, 16,
                new DitConfig.PatchSize(1, 2, 2), 1e-5, 1e-6, false, false, true, true, true, true);
        try (DiffusionTransformer random = DiffusionTransformer.random(small, DType.F32, 1, Attention.Options.defaults())) {
            Map<String, Tensor> drawn = random.parameters();
            List<Params.Declared> inventory = DiffusionTransformer.declared(small);
            assertEquals(drawn.keySet(), new java.util.TreeSet<>(inventory.stream().map(Params.Declared::key).toList()));
            for (Params.Declared d : inventory)
                assertArrayEquals(d.shape(), dev.zoetrope.core.engine.Tensors.shape(drawn.get(d.key())), d.key());
        }
        assertEquals(Role.GAIN, declared.stream().filter(d -> d.key().equals("blocks.0.self_attn.norm_q.weight")).findFirst().orElseThrow().role());
        assertEquals(Role.TABLE, declared.stream().filter(d -> d.key().equals("blocks.1.modulation")).findFirst().orElseThrow().role());
        assertTrue(WanVae.declared(WanVaeConfig.wan21()).stream().anyMatch(d -> d.key().equals("decoder.head.2.weight")
                && d.role() == Role.WEIGHT && java.util.Arrays.equals(d.shape(), new long[]{3, 96, 3, 3, 3})));
        T5Config t5 = T5Config.umt5Xxl().withLayers(2);
        assertEquals(2, T5Encoder.declared(t5).stream().filter(d -> d.key().endsWith("relative_attention_bias.weight")).count(),
                "umT5 has a position table per block");
    }
}
