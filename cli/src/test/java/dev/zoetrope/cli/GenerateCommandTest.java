package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.pipeline.RandomCheckpoints;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;

/** The generate and verify commands as a user runs them: flags, messages, exit codes. */
class GenerateCommandTest {
    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    /** A tiny zoetrope model at 32×24, 8 fps. */
    Path tinyModel() throws IOException {
        return tinyModel(tmp);
    }

    /** {@link #tinyModel()} in {@code tmp}/model. */
    static Path tinyModel(Path tmp) throws IOException {
        Engine.init();
        var o = dev.zoetrope.core.config.Json.PLAIN.createObjectNode();
        o.put("dim", 64).put("ffn_dim", 96).put("num_heads", 2).put("num_layers", 1).put("text_dim", 32).put("text_len", 16);
        Path tok = fixtures().resolve("t5-tiny/spiece.model");
        var spec = new RandomCheckpoints.Spec(ModelFamily.LINUM.dit().withOverrides(o), WanVaeConfig.wan21().withBaseDim(8),
                1, 4, 48, tok, Tokenizers.load(tok).vocabSize(), DType.F32, 3);
        Path dir = tmp.resolve("model");
        RandomCheckpoints.linum(dir, spec, "tiny", Map.of("resolutions", Map.of("tiny", java.util.List.of(32, 24)), "fps", 8,
                "min_seconds", 1, "default_seconds", 1, "default_steps", 2));
        return dir;
    }

    @Test
    void generatesAnMp4WithTheModelsDefaults() throws IOException {
        Path model = tinyModel();
        Path mp4 = tmp.resolve("fox.mp4");
        Run r = run("generate", "--model-dir", model.toString(), "--gif", "a red fox", "-o", mp4.toString(), "--seed", "4",
                "--frames-png", tmp.resolve("frames").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.size(tmp.resolve("fox.gif")) > 0);
        try (var s = Files.list(tmp.resolve("frames"))) {
            assertEquals(9, s.count());
        }
        assertTrue(r.out().contains("9 frames at 8 fps") && r.out().contains("seed 4"), r.out());
        assertTrue(r.err().contains("denoising") && r.err().contains("ETA"), "progress with ETA: " + r.err());
        VideoInfo info = VideoProbe.probe(mp4);
        assertEquals(9, info.frameCount());
        assertEquals(32, info.width());
    }

    @Test
    void badFlagsGetOneClearLine() throws IOException {
        Path model = tinyModel();
        String m = model.toString();
        Run r = run("generate", "--model-dir", m, "x", "--duration", "9");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("duration 9 s is out of range"), r.err());
        r = run("generate", "--model-dir", m, "x", "--resolution", "4k");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown resolution '4k'") && r.err().contains("tiny"), r.err());
        r = run("generate", "--model-dir", tmp.resolve("nowhere").toString(), "x");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("nowhere: no such file or directory"), r.err());
        r = run("generate", "--model-dir", m);
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no prompt"), r.err());
        r = run("generate", "--model-dir", m, "x", "--sampler", "ddim");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown sampler 'ddim'"), r.err());
        r = run("generate", "--model-dir", m, "x", "--bogus");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--bogus"), r.err());
        r = run("generate", "--model-dir", m, "x", "-o", tmp.resolve("clip.avi").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains(".mp4"), r.err());
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "nothing but the model was written");
        }
    }

    @Test
    void randomModelWritesADirectoryThatInfoRecognises() {
        Path dir = tmp.resolve("wan-random");
        Run r = run("random-model", "--layout", "wan-diffusers", "--tiny", "--tokenizer",
                fixtures().resolve("t5-tiny/spiece.model").toString(), "-o", dir.toString());
        assertEquals(0, r.exit(), r.err());
        r = run("info", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("family: Wan 2.1, Wan 2.1 Diffusers layout"), r.out());
        r = run("random-model", "--layout", "sd15", "--tokenizer", "x", "-o", tmp.resolve("other").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown --layout 'sd15'"), r.err());
    }

    @Test
    void withoutAModelDirTheMissingDefaultModelIsExplained() {
        String home = System.getProperty("zoetrope.home");
        System.setProperty("zoetrope.home", tmp.toString());
        try {
            Run r = run("generate", "a cat");
            assertEquals(2, r.exit());
            assertTrue(r.err().contains("models/zoetrope-tiny") && r.err().contains("--model-dir"), r.err());
        } finally {
            if (home == null) System.clearProperty("zoetrope.home");
            else System.setProperty("zoetrope.home", home);
        }
    }

    @Test
    void verifyPassesOnTheShippedFixturesAndFailsOnAWrongOne() throws IOException {
        Run r = run("verify", "--fixture", fixtures().resolve("wan-tiny").toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("expected_velocity") && r.out().contains("expected_latents") && r.out().contains("timesteps_50_shift5"), r.out());

        // the same fixture with a perturbed expectation must fail with exit 1
        Path copy = tmp.resolve("wan-copy");
        Files.createDirectories(copy);
        for (String f : new String[]{"README.json", "wan_dit.safetensors"}) Files.copy(fixtures().resolve("wan-tiny/" + f), copy.resolve(f));
        try (var scope = new org.bytedeco.javacpp.PointerScope();
             var w = dev.zoetrope.core.safetensors.Weights.open(fixtures().resolve("wan-tiny/wan_io.safetensors"))) {
            Engine.init();
            var tensors = new java.util.TreeMap<String, org.bytedeco.pytorch.Tensor>();
            for (String n : w.names()) tensors.put(n, w.load(n).clone());
            tensors.put("expected_latents", tensors.get("expected_latents").mul(new org.bytedeco.pytorch.Scalar(1.01)));
            dev.zoetrope.core.safetensors.SafetensorsWriter.write(copy.resolve("wan_io.safetensors"), tensors);
        }
        r = run("verify", "--fixture", copy.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("MISMATCH"), r.out());
    }
}
