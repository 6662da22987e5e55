package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.io.ClipWriter;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.video.ClipFiles;
import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;

/** Random-weight model directories at tiny dims through the whole pipeline, in every layout. */
class RandomModelEndToEndTest {
    @TempDir
    Path tmp;

    static Path tokenizer() {
        return Path.of(System.getProperty("zoetrope.fixtures")).resolve("t5-tiny/spiece.model");
    }

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    static RandomCheckpoints.Spec tinySpec(ModelFamily family) {
        ObjectNode o = Json.PLAIN.createObjectNode();
        o.put("dim", 64).put("ffn_dim", 96).put("num_heads", 2).put("num_layers", 1).put("text_dim", 32).put("text_len", 16);
        DitConfig dit = family.dit().withOverrides(o);
        int vocab = Tokenizers.load(tokenizer()).vocabSize();
        return new RandomCheckpoints.Spec(dit, WanVaeConfig.wan21().withBaseDim(8), 1, 4, 48, tokenizer(), vocab, DType.F32, 11);
    }

    static final ModelCapabilities TINY = new ModelCapabilities("tiny", Map.of("tiny", new int[]{32, 24}), "tiny",
            1, 5, 1, 8, 1, 100, 2, 5.0, "", 3, 16);

    /** Collects the frames {@link TextToVideo} writes, for comparing runs. */
    static final class Frames implements ClipWriter {
        final List<byte[]> frames = new ArrayList<>();
        boolean finished;

        @Override
        public void frame(byte[] rgb) {
            frames.add(rgb);
        }

        @Override
        public void finish() {
            finished = true;
        }

        @Override
        public void abort() {}
    }

    @Test
    void zoetropeLayoutGeneratesAnMp4WithPngFramesAndGif() throws IOException {
        Path dir = tmp.resolve("zoetrope-tiny");
        RandomCheckpoints.linum(dir, tinySpec(ModelFamily.LINUM), "tiny",
                Map.of("resolutions", Map.of("tiny", List.of(32, 24)), "fps", 8, "default_steps", 2, "min_seconds", 1, "default_seconds", 1));
        ModelDirectory model = ModelDirectory.detect(dir);
        assertEquals(ModelDirectory.Layout.ZOETROPE, model.layout());
        Path mp4 = tmp.resolve("out/clip.mp4"), png = tmp.resolve("out/frames"), gif = tmp.resolve("out/clip.gif");
        GenerationResult r;
        try (TextToVideo g = ModelLoader.open(model, WeightDtype.AUTO, TextToVideo.Options.DEFAULT, ClipFiles.with(new ClipFiles.Extras(png, gif)))) {
            // longer than the DiT's 16 text tokens: cut to what it attends to
            r = g.generate(GenerationRequest.of("a small red cube rolls slowly across a wide wooden table towards the "
                    + "open window while the evening light fades and a cat watches from the shelf"), mp4, GenerationListener.NONE);
        }
        assertEquals(9, r.frames());
        VideoInfo info = VideoProbe.probe(mp4);
        assertEquals(32, info.width());
        assertEquals(24, info.height());
        assertEquals(9, info.frameCount());
        assertEquals("h264", info.codec());
        try (var s = Files.list(png)) {
            assertEquals(9, s.filter(p -> p.toString().endsWith(".png")).count());
        }
        assertTrue(Files.size(gif) > 100);
        try (var s = Files.list(tmp.resolve("out"))) {
            assertEquals(3, s.count(), "no temporary files left behind");
        }
    }

    @Test
    void wanOriginalAndDiffusersLayoutsGiveIdenticalFrames() throws IOException {
        RandomCheckpoints.Spec spec = tinySpec(ModelFamily.WAN);
        Path original = tmp.resolve("wan"), diffusers = tmp.resolve("wan-diffusers");
        RandomCheckpoints.wanOriginal(original, spec);
        RandomCheckpoints.wanDiffusers(diffusers, spec);
        ModelDirectory a = ModelDirectory.detect(original), b = ModelDirectory.detect(diffusers);
        assertEquals(ModelDirectory.Layout.WAN_ORIGINAL, a.layout());
        assertEquals(ModelDirectory.Layout.WAN_DIFFUSERS, b.layout());
        List<byte[]> fa = run(a), fb = run(b);
        assertEquals(9, fa.size());
        assertEquals(fa.size(), fb.size());
        for (int i = 0; i < fa.size(); i++) assertArrayEquals(fa.get(i), fb.get(i), "frame " + i);
        boolean varied = false;
        for (int i = 1; i < fa.get(0).length && !varied; i++) varied = fa.get(0)[i] != fa.get(0)[0];
        assertTrue(varied, "random weights give a non-constant frame");
    }

    static List<byte[]> run(ModelDirectory dir) {
        TextToVideo.Parts p = ModelLoader.parts(dir, WeightDtype.AUTO);
        TextToVideo.Parts tiny = new TextToVideo.Parts(p.family(), TINY, p.shift(), p.text(), p.dit(), p.vae(), p.latentScale());
        Frames out = new Frames();
        try (TextToVideo g = new TextToVideo(tiny, TextToVideo.Options.DEFAULT, (mp4, w, h, fps) -> out)) {
            g.generate(new GenerationRequest("waves &amp; rocks", "blur", null, 1.0, 5L, 5.0, 2), Path.of("unused.mp4"),
                    GenerationListener.NONE);
        }
        assertTrue(out.finished);
        return out.frames;
    }

    @Test
    void aMissingOrMisshapenDitTensorIsNamedWithItsShape() throws IOException {
        Path dir = tmp.resolve("broken");
        RandomCheckpoints.linum(dir, tinySpec(ModelFamily.LINUM), "360p", Map.of("fps", 8));
        Path dit = dir.resolve("dit/360p.safetensors");
        rewrite(dit, "model.blocks.0.cross_attn.o.weight", null);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> generate(dir));
        assertTrue(e.getMessage().contains("model.blocks.0.cross_attn.o.weight") && e.getMessage().contains("[64, 64]"), e.getMessage());

        rewrite(dit, "model.blocks.0.cross_attn.o.weight", new long[]{64, 63});
        e = assertThrows(ModelLoadException.class, () -> generate(dir));
        assertTrue(e.getMessage().contains("model.blocks.0.cross_attn.o.weight") && e.getMessage().contains("[64, 63]")
                && e.getMessage().contains("[64, 64]"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("x.mp4")));
    }

    void generate(Path dir) {
        try (TextToVideo g = ModelLoader.open(ModelDirectory.detect(dir), WeightDtype.AUTO, TextToVideo.Options.DEFAULT, ClipFiles.MP4_ONLY)) {
            g.generate(GenerationRequest.of("x"), tmp.resolve("x.mp4"), GenerationListener.NONE);
        }
    }

    /** Rewrites {@code file} without {@code key}, or with {@code key} replaced by zeros of {@code shape}. */
    static void rewrite(Path file, String key, long[] shape) throws IOException {
        Map<String, org.bytedeco.pytorch.Tensor> keep = new java.util.TreeMap<>();
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            try (var w = dev.zoetrope.core.safetensors.Weights.open(file)) {
                for (String n : w.names()) if (!n.equals(key)) keep.put(n, w.load(n).clone());
            }
            if (shape != null) keep.put(key, org.bytedeco.pytorch.global.torch.zeros(shape));
            dev.zoetrope.core.safetensors.SafetensorsWriter.write(file, keep);
        }
    }
}
