package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.dit.DitKeyLayout;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/** {@link ModelConverter} on tiny random models and the fixtures: layouts, dtypes, shards, atomicity, wrapped DiTs. */
class ConvertModelTest {
    private static final ModelConverter.Progress QUIET = (done, total) -> {};

    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /**
     * Tiny, but with 128-channel heads: the Linum layout has no DiT config, so the head count comes from the shapes
     * (dim / 128), as for the released checkpoints.
     */
    static RandomCheckpoints.Spec linumSpec() {
        ObjectNode o = Json.PLAIN.createObjectNode();
        o.put("dim", 128).put("ffn_dim", 96).put("num_heads", 1).put("num_layers", 1).put("text_dim", 32).put("text_len", 16);
        DitConfig dit = ModelFamily.LINUM.dit().withOverrides(o);
        Path tok = RandomModelEndToEndTest.tokenizer();
        return new RandomCheckpoints.Spec(dit, WanVaeConfig.wan21().withBaseDim(8), 1, 4, 48, tok, Tokenizers.load(tok).vocabSize(),
                DType.F32, 7);
    }

    static ModelConverter.Options options(ModelConverter.Target layout, DType dtype, long shardBytes) {
        return new ModelConverter.Options(layout, dtype, shardBytes);
    }

    @Test
    void linumLayoutConvertsToTheZoetropeLayoutWithIdenticalFrames() throws IOException {
        Path in = tmp.resolve("linum"), out = tmp.resolve("linum-converted");
        RandomCheckpoints.linum(in, linumSpec(), "360p", null);
        assertEquals(ModelDirectory.Layout.LINUM, ModelDirectory.detect(in).layout());

        ModelConverter.Result r = ModelConverter.convert(in, out, ModelConverter.Options.defaults(), QUIET);

        ModelDirectory converted = ModelDirectory.detect(out);
        assertEquals(ModelDirectory.Layout.ZOETROPE, converted.layout(), "dit/config.json makes it the zoetrope layout");
        for (String f : List.of("dit/360p.safetensors", "dit/config.json", "vae/vae.safetensors", "t5/text_encoder/model.safetensors",
                "t5/text_encoder/config.json", "t5/tokenizer/spiece.model"))
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        assertFalse(Files.exists(out.resolve(ModelConverter.MARKER)));
        assertFalse(Files.exists(tmp.resolve("linum-converted.part")));
        assertSameTensors(in.resolve("dit/360p.safetensors"), out.resolve("dit/360p.safetensors"), Map.of());
        assertSameTensors(in.resolve("vae/vae.safetensors"), out.resolve("vae/vae.safetensors"), Map.of());
        assertSameTensors(in.resolve("t5/text_encoder"), out.resolve("t5/text_encoder"), Map.of());
        assertEquals(3, r.files());
        assertEquals(sizeOfTensors(in.resolve("dit/360p.safetensors")) + sizeOfTensors(in.resolve("vae/vae.safetensors"))
                + sizeOfTensors(in.resolve("t5/text_encoder")), r.bytes());

        assertFramesEqual(RandomModelEndToEndTest.run(ModelDirectory.detect(in)), RandomModelEndToEndTest.run(converted));
    }

    @Test
    void wanOriginalConvertsToDiffusersWithIdenticalFramesAndTheDiffusersNames() throws IOException {
        RandomCheckpoints.Spec spec = RandomModelEndToEndTest.tinySpec(ModelFamily.WAN);
        Path in = tmp.resolve("wan"), out = tmp.resolve("wan-converted"), reference = tmp.resolve("wan-diffusers");
        RandomCheckpoints.wanOriginal(in, spec);
        RandomCheckpoints.wanDiffusers(reference, spec); // the same weights, written in Diffusers names directly

        ModelConverter.convert(in, out, ModelConverter.Options.defaults(), QUIET);

        ModelDirectory converted = ModelDirectory.detect(out);
        assertEquals(ModelDirectory.Layout.WAN_DIFFUSERS, converted.layout());
        for (String part : List.of("transformer", "vae", "text_encoder"))
            assertSameTensors(reference.resolve(part), out.resolve(part), Map.of());
        JsonNode vaeConfig = Json.readTree(out.resolve("vae/config.json"));
        assertEquals("AutoencoderKLWan", vaeConfig.path("_class_name").asText());
        assertEquals(LatentScale.wan21().mean()[3], vaeConfig.get("latents_mean").get(3).floatValue());
        JsonNode ditConfig = Json.readTree(out.resolve("transformer/config.json"));
        assertEquals("WanTransformer3DModel", ditConfig.path("_class_name").asText());
        assertEquals(2, ditConfig.path("num_attention_heads").asInt());
        assertEquals(32, ditConfig.path("attention_head_dim").asInt());
        assertEquals("umt5", Json.readTree(out.resolve("text_encoder/config.json")).path("model_type").asText());
        assertEquals("WanPipeline", Json.readTree(out.resolve("model_index.json")).path("_class_name").asText());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer/spiece.model")));

        assertFramesEqual(RandomModelEndToEndTest.run(ModelDirectory.detect(in)), RandomModelEndToEndTest.run(converted));
    }

    @Test
    void bf16HalvesTheFloatingBytesAndStillLoads() throws IOException {
        Path in = tmp.resolve("wan"), out = tmp.resolve("wan-bf16");
        RandomCheckpoints.wanOriginal(in, RandomModelEndToEndTest.tinySpec(ModelFamily.WAN));

        ModelConverter.Result r = ModelConverter.convert(in, out, options(null, DType.BF16, ModelConverter.DEFAULT_SHARD_BYTES), QUIET);

        Map<String, Path> parts = Map.of("diffusion_pytorch_model.safetensors", out.resolve("transformer"),
                "Wan2.1_VAE.safetensors", out.resolve("vae"), "umt5-xxl", out.resolve("text_encoder"));
        long before = 0;
        for (Map.Entry<String, Path> p : parts.entrySet()) {
            long inBytes = sizeOfTensors(in.resolve(p.getKey()));
            before += inBytes;
            try (Weights w = Weights.open(p.getValue())) {
                assertEquals(inBytes / 2, w.byteCount(), p.getKey());
                for (String name : w.names()) assertEquals(DType.BF16, w.info(name).orElseThrow().dtype(), name);
            }
        }
        assertEquals(before / 2, r.bytes());
        // each part still passes the strict loader, the DiT and the text encoder now computing in bf16
        ModelDirectory md = ModelDirectory.detect(out);
        try (DiffusionTransformer dit = DiffusionTransformer.load(md.ditWeights(), DitLoadOptions.defaults().withOverrides(md.ditSettings()));
             T5Encoder t5 = T5Encoder.load(md.textEncoder());
             WanVae vae = WanVae.load(md.vaeWeights(), md.vaeSettings(), String.valueOf(md.vaeConfig()))) {
            assertEquals(DType.BF16, dit.computeDtype());
            assertEquals(DType.BF16, t5.dtype());
            assertEquals(16, vae.config().zDim());
        }
    }

    @Test
    void shardsWriteAnIndexThatLoadsBackIdentically() throws IOException {
        Path in = tmp.resolve("wan"), whole = tmp.resolve("whole"), sharded = tmp.resolve("sharded");
        RandomCheckpoints.wanOriginal(in, RandomModelEndToEndTest.tinySpec(ModelFamily.WAN));
        ModelConverter.convert(in, whole, ModelConverter.Options.defaults(), QUIET);
        long limit = 64 * 1024;
        ModelConverter.Result r = ModelConverter.convert(in, sharded, options(null, null, limit), QUIET);

        for (String[] part : new String[][]{{"transformer", "diffusion_pytorch_model"}, {"vae", "diffusion_pytorch_model"},
                {"text_encoder", "model"}}) {
            Path dir = sharded.resolve(part[0]);
            JsonNode index = Json.readTree(dir.resolve(part[1] + ".safetensors.index.json"));
            List<Path> shards = list(dir, ".safetensors");
            assertTrue(shards.size() > 1, part[0] + " is split: " + shards);
            long total = 0;
            for (int i = 0; i < shards.size(); i++) {
                assertEquals(String.format("%s-%05d-of-%05d.safetensors", part[1], i + 1, shards.size()), shards.get(i).getFileName().toString());
                long bytes = sizeOfTensors(shards.get(i));
                try (Weights w = Weights.open(shards.get(i))) {
                    assertTrue(bytes <= limit || w.names().size() == 1, shards.get(i) + " holds " + bytes + " bytes");
                    for (String name : w.names())
                        assertEquals(shards.get(i).getFileName().toString(), index.get("weight_map").get(name).asText(), name);
                }
                total += bytes;
            }
            assertEquals(total, index.get("metadata").get("total_size").asLong());
            assertSameTensors(whole.resolve(part[0]), dir, Map.of());
        }
        assertTrue(r.files() > 3);
        assertEquals(ModelDirectory.Layout.WAN_DIFFUSERS, ModelDirectory.detect(sharded).layout());

        // the Linum layout finds its sharded DiT and VAE by their index, latent buffers included
        Path linum = tmp.resolve("linum"), linumSharded = tmp.resolve("linum-sharded");
        RandomCheckpoints.linum(linum, linumSpec(), "360p", null);
        ModelConverter.convert(linum, linumSharded, options(ModelConverter.Target.LINUM, null, limit), QUIET);
        ModelDirectory md = ModelDirectory.detect(linumSharded);
        assertEquals(linumSharded.resolve("dit/360p.safetensors.index.json"), md.ditWeights());
        assertEquals(linumSharded.resolve("vae/vae.safetensors.index.json"), md.vaeWeights());
        assertSameTensors(linum.resolve("dit/360p.safetensors"), md.ditWeights(), Map.of());
        assertSameTensors(linum.resolve("vae/vae.safetensors"), md.vaeWeights(), Map.of());
        try (DiffusionTransformer a = DiffusionTransformer.load(linum.resolve("dit/360p.safetensors"));
             DiffusionTransformer b = DiffusionTransformer.load(md.ditWeights(), DitLoadOptions.defaults().withOverrides(md.ditSettings()))) {
            assertEquals(a.config(), b.config());
        }
    }

    @Test
    void anExistingOutIsRefusedAStalePartIsCleanedAndAFailureLeavesNothing() throws IOException {
        Path in = tmp.resolve("wan"), out = tmp.resolve("out"), part = tmp.resolve("out.part");
        RandomCheckpoints.wanOriginal(in, RandomModelEndToEndTest.tinySpec(ModelFamily.WAN));

        Files.createDirectories(out);
        Files.writeString(out.resolve("mine.txt"), "keep me");
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> ModelConverter.convert(in, out, ModelConverter.Options.defaults(), QUIET));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals("keep me", Files.readString(out.resolve("mine.txt")));
        assertFalse(Files.exists(part));
        Files.delete(out.resolve("mine.txt")); // an empty OUT is fine

        // a run killed mid-way left its staging directory, marked as convert's
        Files.createDirectories(part.resolve("transformer"));
        Files.writeString(part.resolve(ModelConverter.MARKER), "unfinished");
        Files.write(part.resolve("transformer/diffusion_pytorch_model.safetensors"), new byte[100]);
        ModelConverter.Result r = ModelConverter.convert(in, out, ModelConverter.Options.defaults(), QUIET);
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("removed") && n.contains("out.part")), r.notes().toString());
        assertFalse(Files.exists(part));
        assertEquals(ModelDirectory.Layout.WAN_DIFFUSERS, ModelDirectory.detect(out).layout());

        // a directory of that name that convert did not make is not deleted
        Path other = tmp.resolve("other"), otherPart = tmp.resolve("other.part");
        Files.createDirectories(otherPart);
        Files.writeString(otherPart.resolve("notes.txt"), "someone's");
        e = assertThrows(InvalidRequestException.class, () -> ModelConverter.convert(in, other, ModelConverter.Options.defaults(), QUIET));
        assertTrue(e.getMessage().contains("not left by zoetrope convert"), e.getMessage());
        assertTrue(Files.exists(otherPart.resolve("notes.txt")));

        // a failure half-way (here: an interruption after the first megabyte's worth of tensors) leaves neither OUT nor OUT.part
        Path failed = tmp.resolve("failed");
        RuntimeException interrupted = new RuntimeException("interrupted");
        ModelConverter.Progress failing = (done, total) -> {
            assertTrue(Files.isRegularFile(tmp.resolve("failed.part").resolve(ModelConverter.MARKER)));
            if (done > total / 3) throw interrupted;
        };
        assertSame(interrupted, assertThrows(RuntimeException.class,
                () -> ModelConverter.convert(in, failed, ModelConverter.Options.defaults(), failing)));
        assertFalse(Files.exists(failed));
        assertFalse(Files.exists(tmp.resolve("failed.part")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(otherPart), s.filter(p -> p.getFileName().toString().endsWith(".part")).toList());
        }

        e = assertThrows(InvalidRequestException.class, () -> ModelConverter.convert(in, in.resolve("inside"), ModelConverter.Options.defaults(), QUIET));
        assertTrue(e.getMessage().contains("outside the input"), e.getMessage());
        e = assertThrows(InvalidRequestException.class,
                () -> ModelConverter.convert(in, tmp.resolve("x"), options(ModelConverter.Target.LINUM, null, 1000), QUIET));
        assertTrue(e.getMessage().contains("Wan 2.1") && e.getMessage().contains("--layout diffusers"), e.getMessage());
    }

    @Test
    void aWanDitWrappedUnderComfyUisPrefixConvertsBackToPlainDiffusersNames() throws IOException {
        Path fixture = Path.of(System.getProperty("zoetrope.fixtures")).resolve("wan-tiny");
        Path original = fixture.resolve("wan_dit.safetensors");
        Path comfy = tmp.resolve("comfy"), file = comfy.resolve("wan_tiny_comfy.safetensors");
        Files.createDirectories(comfy);
        // what ComfyUI's single files look like: the DiT under model.diffusion_model., other parts beside it
        try (PointerScope scope = new PointerScope(); Weights w = Weights.open(original)) {
            Map<String, Tensor> wrapped = new TreeMap<>();
            for (String name : w.names()) wrapped.put("model.diffusion_model." + name, w.load(name));
            wrapped.put("first_stage_model.decoder.conv_in.weight", Tensors.fromFloats(new float[]{1, 2}, 2));
            SafetensorsWriter.write(file, wrapped);
        }
        // dim 64 hides its head count from the shapes: the config beside the file tells it, as Wan's config.json does
        JsonNode dims = Json.readTree(fixture.resolve("README.json")).get("dit");
        Files.writeString(comfy.resolve("config.json"), dims.toString());

        Path out = tmp.resolve("transformer");
        ModelConverter.Result r = ModelConverter.convert(file, out, ModelConverter.Options.defaults(), QUIET);
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("model.diffusion_model.")), r.notes().toString());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("left out 1") && n.contains("first_stage_model")), r.notes().toString());
        Map<String, String> renames = new TreeMap<>();
        try (Weights w = Weights.open(original)) {
            for (String name : w.names()) renames.put(name, DitKeyLayout.WAN_DIFFUSERS.fileKey(name));
        }
        assertTrue(renames.containsValue("condition_embedder.time_proj.weight"));
        assertSameTensors(original, out.resolve("diffusion_pytorch_model.safetensors"), renames);
        try (DiffusionTransformer a = DiffusionTransformer.load(original, DitLoadOptions.defaults().withOverrides(dims));
             DiffusionTransformer b = DiffusionTransformer.load(out)) {
            assertEquals(a.config(), b.config(), "config.json beside the weights reads back to the same model");
            assertEquals(DitKeyLayout.WAN_DIFFUSERS, b.layout().orElseThrow());
        }

        // OUT ending in .safetensors: one file, nothing else
        Path single = tmp.resolve("single/wan.safetensors");
        ModelConverter.convert(file, single, options(ModelConverter.Target.DIFFUSERS, null, 1000), QUIET);
        assertSameTensors(original, single, renames);
        try (Stream<Path> s = Files.list(single.getParent())) {
            assertEquals(List.of(single), s.toList());
        }

        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> ModelConverter.convert(file, tmp.resolve("linum"), options(ModelConverter.Target.LINUM, null, 1000), QUIET));
        assertTrue(e.getMessage().contains("no Linum layout"), e.getMessage());
    }

    /**
     * A directory laid out exactly like Wan 2.1's release, from the golden fixtures: {@code Wan2.1_VAE.pth},
     * {@code models_t5_umt5-xxl-enc-bf16.pth} with Wan's own umT5 names and no config. It converts to the Diffusers
     * layout with every tensor intact, and the converted directory generates the same frames.
     */
    @Test
    void theWanReleaseWithItsPthFilesConvertsAndGeneratesTheSameFrames() throws IOException {
        Path fixtures = Path.of(System.getProperty("zoetrope.fixtures"));
        Path in = tmp.resolve("Wan2.1-T2V-1.3B"), out = tmp.resolve("wan-diffusers");
        Files.createDirectories(in.resolve("google/umt5-xxl"));
        Files.copy(fixtures.resolve("wan-tiny/wan_dit.safetensors"), in.resolve("diffusion_pytorch_model.safetensors"));
        Files.writeString(in.resolve("config.json"), """
                {"_class_name": "WanModel", "model_type": "t2v", "dim": 64, "eps": 1e-06, "ffn_dim": 96, "freq_dim": 256,
                 "in_dim": 16, "num_heads": 2, "num_layers": 2, "out_dim": 16, "text_len": 12}""");
        Files.copy(fixtures.resolve("wan-pth/Wan2.1_VAE.pth"), in.resolve("Wan2.1_VAE.pth"));
        Files.copy(fixtures.resolve("wan-pth/models_t5_umt5-xxl-enc-bf16.pth"), in.resolve("models_t5_umt5-xxl-enc-bf16.pth"));
        Files.copy(fixtures.resolve("t5-tiny/spiece.model"), in.resolve("google/umt5-xxl/spiece.model"));

        ModelConverter.convert(in, out, ModelConverter.Options.defaults(), QUIET);
        ModelDirectory converted = ModelDirectory.detect(out);
        assertEquals(ModelDirectory.Layout.WAN_DIFFUSERS, converted.layout());
        assertNotNull(converted.textConfig(), "the converted umT5 carries a Hugging Face config.json");
        try (WanVae vae = WanVae.load(in.resolve("Wan2.1_VAE.pth"))) {
            Map<String, String> renames = new TreeMap<>();
            var keys = dev.zoetrope.models.vae.VaeLayout.DIFFUSERS.keys(vae.config());
            for (var d : vae.params().declared()) renames.put(d.key(), keys.fileKey(d.key()));
            assertSameTensors(in.resolve("Wan2.1_VAE.pth"), out.resolve("vae"), renames);
        }
        assertFramesEqual(RandomModelEndToEndTest.run(ModelDirectory.detect(in)), RandomModelEndToEndTest.run(converted));
    }

    // ------------------------------------------------------------------ helpers

    static void assertFramesEqual(List<byte[]> a, List<byte[]> b) {
        assertEquals(9, a.size());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i), "frame " + i);
    }

    /** Every tensor of {@code expected} is in {@code actual} (under {@code renames}, else its own name), bit for bit, and no other. */
    static void assertSameTensors(Path expected, Path actual, Map<String, String> renames) {
        try (PointerScope scope = new PointerScope(); Weights e = Weights.open(expected); Weights a = Weights.open(actual)) {
            TreeSet<String> wanted = new TreeSet<>();
            for (String name : e.names()) {
                String other = renames.getOrDefault(name, name);
                wanted.add(other);
                TensorInfo ei = e.info(name).orElseThrow(), ai = a.info(other).orElseThrow(() -> new AssertionError(actual + " lacks " + other));
                assertEquals(ei.dtype(), ai.dtype(), other);
                assertArrayEquals(ei.shape(), ai.shape(), other);
                assertArrayEquals(Tensors.toBytes(e.load(name)), Tensors.toBytes(a.load(other)), other);
            }
            assertEquals(wanted, new TreeSet<>(a.names()));
        }
    }

    static long sizeOfTensors(Path weights) {
        try (Weights w = Weights.open(weights)) {
            return w.byteCount();
        }
    }

    static List<Path> list(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList());
        }
    }
}
