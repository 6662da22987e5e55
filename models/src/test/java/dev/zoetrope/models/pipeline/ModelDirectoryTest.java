package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.nn.ModelLoadException;

class ModelDirectoryTest {
    @TempDir
    Path tmp;

    /** A small but complete encoder config: the directory is parsed when it is opened. */
    static String textConfig(String modelType) {
        return "{\"model_type\":\"" + modelType + "\",\"d_model\":8,\"d_kv\":4,\"d_ff\":16,\"num_heads\":2,\"num_layers\":1,"
                + "\"vocab_size\":10}";
    }

    static Path touch(Path p, String content) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    Path linumLayout(Path root, String res) throws IOException {
        touch(root.resolve("dit/" + res + ".safetensors"), "");
        touch(root.resolve("vae/vae.safetensors"), "");
        touch(root.resolve("t5/text_encoder/config.json"), textConfig("t5"));
        touch(root.resolve("t5/tokenizer/spiece.model"), "");
        return root;
    }

    @Test
    void linumAndZoetropeLayouts() throws IOException {
        ModelDirectory d = ModelDirectory.detect(linumLayout(tmp.resolve("linum"), "720p"));
        assertEquals(ModelFamily.LINUM, d.family());
        assertEquals(ModelDirectory.Layout.LINUM, d.layout());
        assertEquals("720p", d.resolution());
        assertEquals(24, d.capabilities().fps());
        assertEquals(10.0, d.capabilities().defaultGuidance());
        assertEquals(20, d.capabilities().defaultSeed());
        assertEquals(50, d.capabilities().defaultSteps());
        assertNull(d.ditConfig());
        assertEquals(java.util.Set.of("720p"), d.capabilities().resolutions().keySet(), "a 720p checkpoint offers 720p only");
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> GenerationPlan.resolve(
                new GenerationRequest("x", null, "360p", null, null, null, null), d.capabilities(), d.family()));
        assertTrue(e.getMessage().contains("360p") && e.getMessage().contains("720p"), e.getMessage());

        Path z = linumLayout(tmp.resolve("zoe"), "360p");
        touch(z.resolve("dit/config.json"), "{}");
        ModelDirectory zd = ModelDirectory.detect(z);
        assertEquals(ModelDirectory.Layout.ZOETROPE, zd.layout());
        assertEquals("360p", zd.resolution());
        assertTrue(String.join("\n", zd.describe()).contains("Linum v2"));
    }

    @Test
    void zoetropeConfigSetsItsOwnResolutionsAndDefaults() throws IOException {
        Path z = linumLayout(tmp.resolve("tiny"), "96p");
        touch(z.resolve("dit/config.json"), "{}");
        touch(z.resolve("zoetrope.json"), "{\"resolutions\": {\"96p\": [160, 96]}, \"fps\": 8, \"default_steps\": 20}");
        ModelDirectory d = ModelDirectory.detect(z);
        assertEquals(ModelDirectory.Layout.ZOETROPE, d.layout());
        assertEquals("96p", d.resolution());
        ModelCapabilities c = d.capabilities();
        assertArrayEquals(new int[]{160, 96}, c.resolutions().get("96p"));
        assertEquals("96p", c.defaultResolution());
        assertEquals(8, c.fps());
        assertEquals(20, c.defaultSteps());
        assertEquals(10.0, c.defaultGuidance());
        GenerationPlan plan = GenerationPlan.resolve(GenerationRequest.of("x"), c, d.family());
        assertEquals(17, plan.frames(), "8 fps · 2 s + 1");
        assertEquals(3.0, d.shift(), "no shift of its own: the family's");

        touch(z.resolve("zoetrope.json"), "{\"resolutions\": {\"96p\": [160]}}");
        var e = assertThrows(dev.zoetrope.core.config.ConfigException.class, () -> ModelDirectory.detect(z), "parsed once, when opened");
        assertTrue(e.getMessage().contains("resolutions.96p"), e.getMessage());
    }

    @Test
    void zoetropeConfigCarriesTheTrainedShiftIntoTheSchedule() throws IOException {
        Path z = linumLayout(tmp.resolve("shifted"), "64p");
        touch(z.resolve("dit/config.json"), "{}");
        touch(z.resolve("zoetrope.json"), "{\"resolutions\": {\"64p\": [64, 64]}, \"shift\": 1.5}");
        ModelDirectory d = ModelDirectory.detect(z);
        assertEquals(1.5, d.shift());
        assertTrue(d.describe().getLast().endsWith("shift 1.50"), d.describe().getLast());

        for (String bad : List.of("0", "-2", "\"three\"")) {
            touch(z.resolve("zoetrope.json"), "{\"resolutions\": {\"64p\": [64, 64]}, \"shift\": " + bad + "}");
            var e = assertThrows(dev.zoetrope.core.config.ConfigException.class, () -> ModelDirectory.detect(z), bad);
            assertTrue(e.getMessage().contains("shift") && e.getMessage().contains("must be a") && e.getMessage().contains("number"),
                    e.getMessage());
        }
    }

    @Test
    void linumMissingPartsAreNamed() throws IOException {
        Path root = linumLayout(tmp.resolve("l"), "360p");
        Files.delete(root.resolve("vae/vae.safetensors"));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(root));
        assertTrue(e.getMessage().contains("vae.safetensors") && e.getMessage().contains("VAE"), e.getMessage());

        Path noDit = linumLayout(tmp.resolve("n"), "360p");
        Files.delete(noDit.resolve("dit/360p.safetensors"));
        e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(noDit));
        assertTrue(e.getMessage().contains("360p.safetensors or 720p.safetensors"), e.getMessage());

        Path noTok = linumLayout(tmp.resolve("t"), "360p");
        Files.delete(noTok.resolve("t5/tokenizer/spiece.model"));
        e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(noTok));
        assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
    }

    /** A zoetrope model missing one of its configs is refused naming the file, not run with other settings. */
    @Test
    void zoetropeModelMissingAConfigNamesIt() throws IOException {
        Path noDitConfig = linumLayout(tmp.resolve("no-dit-config"), "64p");
        touch(noDitConfig.resolve("zoetrope.json"), "{\"resolutions\": {\"64p\": [64, 64]}}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(noDitConfig));
        assertEquals(noDitConfig.resolve("dit/config.json") + ": missing the DiT config, which a zoetrope model (it has "
                + "zoetrope.json) needs: its head count and text length cannot be read from the weights", e.getMessage());

        Path noZoetrope = linumLayout(tmp.resolve("no-zoetrope-json"), "64p");
        touch(noZoetrope.resolve("dit/config.json"), "{}");
        e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(noZoetrope));
        assertEquals(noZoetrope.resolve("dit/64p.safetensors") + ": the DiT weights are named for resolution '64p', which is not "
                + "Linum v2's (360p, 720p) and no zoetrope.json declares: " + noZoetrope.resolve("zoetrope.json") + " is missing",
                e.getMessage(), "the weights are there: the message names what is really missing");
        assertFalse(e.getMessage().contains("missing the DiT weights"), e.getMessage());

        touch(noZoetrope.resolve("zoetrope.json"), "{\"resolutions\": {\"96p\": [160, 96]}}");
        e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(noZoetrope));
        assertTrue(e.getMessage().endsWith("which " + noZoetrope.resolve("zoetrope.json") + " does not declare (it has 96p)"),
                e.getMessage());

        // Linum's own release carries no configs at all, and stays accepted.
        assertEquals(ModelDirectory.Layout.LINUM, ModelDirectory.detect(linumLayout(tmp.resolve("linum"), "360p")).layout());
    }

    @Test
    void anImpossibleTextLengthIsRefusedWhenTheDirectoryIsOpened() throws IOException {
        Path z = linumLayout(tmp.resolve("long-text"), "360p");
        touch(z.resolve("dit/config.json"), "{\"text_len\": 100000000}");
        var e = assertThrows(dev.zoetrope.core.config.ConfigException.class, () -> ModelDirectory.detect(z));
        assertEquals(z.resolve("dit/config.json") + ": text_len must be a whole number from 2 to 4096, not 100000000", e.getMessage());
        touch(z.resolve("dit/config.json"), "{\"text_len\": 16}");
        assertEquals(16, ModelDirectory.detect(z).textLength());
    }

    @Test
    void wanOriginalLayout() throws IOException {
        Path root = tmp.resolve("wan");
        touch(root.resolve("diffusion_pytorch_model.safetensors"), "");
        touch(root.resolve("config.json"), "{\"model_type\":\"t2v\",\"dim\":1536}");
        touch(root.resolve("Wan2.1_VAE.safetensors"), "");
        touch(root.resolve("umt5-xxl/config.json"), textConfig("umt5"));
        touch(root.resolve("google/umt5-xxl/tokenizer.json"), "{}");
        ModelDirectory d = ModelDirectory.detect(root);
        assertEquals(ModelFamily.WAN, d.family());
        assertEquals(ModelDirectory.Layout.WAN_ORIGINAL, d.layout());
        assertEquals(root.resolve("Wan2.1_VAE.safetensors"), d.vaeWeights());
        assertEquals(root.resolve("umt5-xxl"), d.textEncoder());
        assertEquals(root.resolve("google/umt5-xxl"), d.tokenizer());
        assertEquals(16, d.capabilities().fps());
        assertEquals(81, ModelFamily.WAN.frames(d.capabilities().defaultSeconds()));
        assertEquals(5.0, d.capabilities().defaultGuidance());
    }

    @Test
    void wanReleasePthFilesAreItsParts() throws IOException {
        Path root = tmp.resolve("wanpth");
        touch(root.resolve("diffusion_pytorch_model.safetensors"), "");
        touch(root.resolve("config.json"), "{}");
        touch(root.resolve("Wan2.1_VAE.pth"), "");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(root));
        assertTrue(e.getMessage().contains("models_t5_umt5-xxl-enc-bf16.pth"), "names the release's text encoder file: " + e.getMessage());
        touch(root.resolve("models_t5_umt5-xxl-enc-bf16.pth"), "");
        touch(root.resolve("google/umt5-xxl/spiece.model"), "");
        ModelDirectory d = ModelDirectory.detect(root);
        assertEquals(root.resolve("Wan2.1_VAE.pth"), d.vaeWeights());
        assertEquals(root.resolve("models_t5_umt5-xxl-enc-bf16.pth"), d.textEncoder());
        assertNull(d.textConfig(), "the release's umT5 has no config.json; its dims come from its shapes");
    }

    @Test
    void wanDiffusersLayout() throws IOException {
        Path root = tmp.resolve("diffusers");
        touch(root.resolve("model_index.json"), "{\"_class_name\":\"WanPipeline\"}");
        touch(root.resolve("transformer/config.json"), "{}");
        touch(root.resolve("transformer/diffusion_pytorch_model.safetensors"), "");
        touch(root.resolve("vae/diffusion_pytorch_model.safetensors"), "");
        touch(root.resolve("text_encoder/config.json"), textConfig("umt5"));
        touch(root.resolve("tokenizer/spiece.model"), "");
        ModelDirectory d = ModelDirectory.detect(root);
        assertEquals(ModelDirectory.Layout.WAN_DIFFUSERS, d.layout());
        assertEquals(root.resolve("transformer"), d.ditWeights());

        touch(root.resolve("model_index.json"), "{\"_class_name\":\"StableDiffusionPipeline\"}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(root));
        assertTrue(e.getMessage().contains("StableDiffusionPipeline"), e.getMessage());
    }

    @Test
    void unknownDirectorySaysWhatItExpected() {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelDirectory.detect(tmp));
        assertTrue(e.getMessage().contains("model_index.json"), e.getMessage());
    }

    @Test
    void linumFramesFollowFlooredSeconds() {
        assertEquals(49, ModelFamily.LINUM.frames(2));
        assertEquals(73, ModelFamily.LINUM.frames(3.9));
        assertEquals(121, ModelFamily.LINUM.frames(5));
    }
}
