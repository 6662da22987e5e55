package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;

/**
 * A directory laid out exactly like the original Wan 2.1 release — the DiT as safetensors with Wan's config.json,
 * {@code Wan2.1_VAE.pth}, {@code models_t5_umt5-xxl-enc-bf16.pth} with Wan's own umT5 key names and no config, the
 * tokenizer in {@code google/umt5-xxl/} — generates as it is, built here from the tiny golden fixtures.
 */
class WanReleaseLayoutTest {
    @TempDir
    Path tmp;

    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    /** The release's file names over the fixtures' tiny weights (text width 32 on both sides). */
    Path release() throws IOException {
        Path dir = tmp.resolve("Wan2.1-T2V-1.3B");
        Files.createDirectories(dir.resolve("google/umt5-xxl"));
        Files.copy(fixtures().resolve("wan-tiny/wan_dit.safetensors"), dir.resolve("diffusion_pytorch_model.safetensors"));
        Files.writeString(dir.resolve("config.json"), """
                {"_class_name": "WanModel", "_diffusers_version": "0.30.0", "model_type": "t2v", "dim": 64, "eps": 1e-06,
                 "ffn_dim": 96, "freq_dim": 256, "in_dim": 16, "num_heads": 2, "num_layers": 2, "out_dim": 16,
                 "text_len": 12}""");
        Files.copy(fixtures().resolve("wan-pth/Wan2.1_VAE.pth"), dir.resolve("Wan2.1_VAE.pth"));
        Files.copy(fixtures().resolve("wan-pth/models_t5_umt5-xxl-enc-bf16.pth"), dir.resolve("models_t5_umt5-xxl-enc-bf16.pth"));
        Files.copy(fixtures().resolve("t5-tiny/spiece.model"), dir.resolve("google/umt5-xxl/spiece.model"));
        return dir;
    }

    @Test
    void theReleaseLayoutIsRecognisedPartByPart() throws IOException {
        Path dir = release();
        ModelDirectory d = ModelDirectory.detect(dir);
        assertEquals(ModelDirectory.Layout.WAN_ORIGINAL, d.layout());
        assertEquals(dir.resolve("Wan2.1_VAE.pth"), d.vaeWeights());
        assertEquals(dir.resolve("models_t5_umt5-xxl-enc-bf16.pth"), d.textEncoder());
        assertNull(d.textConfig(), "Wan's umT5 has no config.json: its dims come from its shapes");
        assertEquals(dir.resolve("google/umt5-xxl"), d.tokenizer());
    }

    @Test
    void generatesEndToEndFromThePthFiles() throws IOException {
        Path dir = release();
        Path mp4 = tmp.resolve("cat.mp4");
        GenerateCommandTest.Run r = GenerateCommandTest.run("generate", "--model-dir", dir.toString(), "a cat surfing a wave",
                "--duration", "1", "--num-steps", "2", "--seed", "3", "-o", mp4.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        VideoInfo info = VideoProbe.probe(mp4);
        assertEquals(832, info.width());
        assertEquals(480, info.height());
        assertEquals(17, info.frameCount(), "1 s at 16 fps, rounded to 4n+1");
    }
}
