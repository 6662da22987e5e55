package dev.zoetrope.train.dit;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.Tensors;

import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.loop.MetricsLog;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.train.text.VocabularyBuilder;
import dev.zoetrope.train.vae.VaeTraining;

/** dataset → VAE → latent shards → joint DiT + text training → checkpoint → resume → sample strips → export, on a micro config. */
class TinyPipelineTrainingTest {
    static final DitConfig DIT = new DitConfig(ModelFamily.LINUM, 32, 64, 2, 1, 32, 16, 8, 4, 4, new DitConfig.PatchSize(1, 2, 2),
            1e-5, 1e-6, false, false, true, true, true, true);
    static final T5Config TEXT = new T5Config(16, 8, 32, 2, 1, 8, 16, "gated-gelu", 1e-6, 200, false);

    static TrainConfig train(int steps) {
        return train(steps, 0);
    }

    static TrainConfig train(int steps, int sampleEvery) {
        return new TrainConfig(steps, 4, 1, 2e-3, 3, 0.1, 0.0, 0.9, 0.99, 1e-8, 1.0, 0.9, 5, 10, 1, sampleEvery, 2);
    }

    static float[] floats(Path json, String field) {
        JsonNode n = dev.zoetrope.core.config.Json.readTree(json).get(field);
        float[] out = new float[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) n.get(i).asDouble();
        return out;
    }

    static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    static List<Double> losses(Path run) throws Exception {
        return MetricsLog.read(run.resolve("metrics.jsonl")).stream().map(n -> n.get("loss").asDouble()).toList();
    }

    @Test
    void trainsResumesExactlyAndExportsALoadableModel(@TempDir Path dir) throws Exception {
        SynthWorld.generate(dir.resolve("clips"), 24, 3, new SynthWorld.Settings(32, 32, 9, 8, SynthWorld.Split.TRAIN), 1, null);
        WanVaeConfig vaeModel = new WanVaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
        VaeTraining.Result vae = VaeTraining.run(dir.resolve("clips"), dir.resolve("clips"), dir.resolve("vae"),
                new VaeTraining.Options(vaeModel, 5, 1e-4, 4.0, 24, 2, new TrainConfig(10, 4, 1, 3e-3, 2, 0.1, 0, 0.9, 0.99, 1e-8, 1, 0, 1, 10, 1, 0, 1)),
                false);
        // the device path on the CPU is the CPU path: the same weights, bit for bit, and the same evaluation
        VaeTraining.Result onCpu = VaeTraining.run(dir.resolve("clips"), dir.resolve("clips"), dir.resolve("vae-cpu"),
                new VaeTraining.Options(vaeModel, 5, 1e-4, 4.0, 24, 2, new TrainConfig(10, 4, 1, 3e-3, 2, 0.1, 0, 0.9, 0.99, 1e-8, 1, 0, 1, 10, 1, 0, 1)),
                false, ComputeDevice.CPU);
        assertArrayEquals(Files.readAllBytes(dir.resolve("vae/checkpoints/step-00000010.safetensors")),
                Files.readAllBytes(dir.resolve("vae-cpu/checkpoints/step-00000010.safetensors")));
        assertEquals(vae.psnr(), onCpu.psnr());

        Path tok = dir.resolve("tokenizer");
        try (ClipSet clips = ClipSet.readSynth(dir.resolve("clips"), 24)) {
            new VocabularyBuilder().addAll(clips.captions()).write(tok.resolve("tokenizer.json"));
            try (WanVae v = WanVae.load(vae.export())) {
                LatentSet.writeShards(clips, v, Tokenizers.load(tok, DIT.textLen()), dir.resolve("shards"), 10);
                LatentSet.writeShards(clips, v, Tokenizers.load(tok, DIT.textLen()), dir.resolve("shards"), 10); // resumes: adds nothing
            }
        }
        try (LatentSet set = LatentSet.read(dir.resolve("shards"))) {
            assertEquals(24, set.size(), "every clip once");
            assertArrayEquals(new long[]{24, 4, 3, 4, 4}, dev.zoetrope.core.engine.Tensors.shape(set.latents()));
        }

        T5Config text = TEXT.withVocabSize(Tokenizers.load(tok, 8).vocabSize());
        DitTraining.Options o = new DitTraining.Options(DIT, text, train(40), 0.1, 0, 1, 3);
        DitTraining.run(dir.resolve("shards"), tok, dir.resolve("full"), o, false, 40, null);
        List<Double> full = losses(dir.resolve("full"));
        assertEquals(40, full.size());
        double first = full.subList(0, 8).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = full.subList(32, 40).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < first, "flow-matching loss decreases: " + first + " → " + last);
        // ComputeDevice.CPU given explicitly is the default run: the same losses and weights, bit for bit
        DitTraining.run(dir.resolve("shards"), tok, dir.resolve("on-cpu"), o, false, 40, null, ComputeDevice.CPU);
        assertEquals(full, losses(dir.resolve("on-cpu")));
        assertArrayEquals(Files.readAllBytes(dir.resolve("full/checkpoints/step-00000040.safetensors")),
                Files.readAllBytes(dir.resolve("on-cpu/checkpoints/step-00000040.safetensors")));

        // With the caption-attribute loss: its heads train with the models and stay out of the export
        DitTraining.Options named = new DitTraining.Options(DIT, text, train(40), 0.1, 0, 1, 3, train(40).seed(), 1.0, 0.5);
        DitTraining.run(dir.resolve("shards"), tok, dir.resolve("named"), named, false, 4, null);
        List<Double> withNames = losses(dir.resolve("named"));
        assertTrue(withNames.getFirst() > full.getFirst() + 0.2, "the first loss adds half the heads' cross-entropy: "
                + withNames.getFirst() + " against " + full.getFirst());
        try (Checkpoints.Loaded c = new Checkpoints(dir.resolve("named")).latest().orElseThrow()) {
            assertEquals(4, c.params().keySet().stream().filter(k -> k.startsWith(CaptionAttributes.PREFIX) && k.endsWith(".weight")).count());
        }
        DitTraining.export(dir.resolve("named"), tok, named, "32p", dir.resolve("named-model"));
        try (var w = dev.zoetrope.core.safetensors.SafetensorsFile.open(dir.resolve("named-model/t5/text_encoder/model.safetensors"))) {
            assertTrue(!w.names().isEmpty() && w.names().stream().noneMatch(k -> k.contains("attr")), "the heads are not exported");
        }

        // Stop at step 20 with a checkpoint, then resume in a new trainer: the same 40 losses, bit for bit, even
        // though this run also draws sample strips every 20 steps and the uninterrupted one drew none.
        Path split = dir.resolve("split");
        DitTraining.Options sampled = new DitTraining.Options(DIT, text, train(40, 20), 0.1, 0, 1, 3);
        SampleStrips strips = new SampleStrips(DIT, text, Tokenizers.load(tok, DIT.textLen()), vae.export(),
                new SampleStrips.Settings(32, 32, 9, 8, 4, 4.0, 20, 3), SampleStrips.canonicalPrompts());
        DitTraining.run(dir.resolve("shards"), tok, split, sampled, false, 20, strips);
        assertEquals(20, losses(split).size());
        DitTraining.run(dir.resolve("shards"), tok, split, sampled, true, 40, strips);
        assertEquals(full, losses(split), "resumed run repeats the uninterrupted losses exactly");

        // One strip per sample step: 4 prompt rows of a label band over 9 frames of 32×32 side by side.
        BufferedImage at40 = null;
        for (int step : new int[]{20, 40}) {
            Path png = SampleStrips.stripFile(split.resolve("samples"), step);
            assertTrue(Files.exists(png), "strip for step " + step);
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(9 * 32, img.getWidth());
            assertEquals(4 * (SampleStrips.LABEL_HEIGHT + 32), img.getHeight());
            at40 = img;
        }
        try (var files = Files.list(split.resolve("samples"))) {
            assertEquals(2, files.count(), "no strips besides steps 20 and 40");
        }
        // The strip drawn mid-training is the EMA's: regenerating from the uninterrupted run's last checkpoint gives
        // the same pixels, and leaves those weights untouched.
        try (Checkpoints.Loaded finalCkpt = new Checkpoints(dir.resolve("full")).latest().orElseThrow()) {
            Tensor weight = finalCkpt.ema().get("dit.head.head.weight");
            Tensor before = weight.clone();
            LatentScale scale = new LatentScale(floats(dir.resolve("full/latent_scale.json"), "video_data_scale"),
                    floats(dir.resolve("full/latent_scale.json"), "video_data_bias"));
            BufferedImage again = SampleStrips.render(SampleStrips.canonicalPrompts(), strips.generate(finalCkpt.ema(), scale));
            assertArrayEquals(pixels(at40), pixels(again), "strip at step 40 = a strip from the final EMA weights");
            assertEquals(0.0, Tensors.maxAbsDiff(before, weight), "sampling leaves the weights as they were");
            assertTrue(Arrays.stream(pixels(again)).distinct().count() > 10, "the strip shows pictures, not a flat fill");
        }

        Path model = dir.resolve("model");
        DitTraining.export(dir.resolve("full"), tok, o, "32p", model);
        try (DiffusionTransformer dit = DiffusionTransformer.load(model.resolve("dit/32p.safetensors"));
             T5Encoder enc = T5Encoder.load(model.resolve("t5/text_encoder"))) {
            assertEquals(DIT.dim(), dit.config().dim());
            assertTrue(dit.videoDataScale().isPresent(), "latent scale travels with the DiT");
            assertEquals(TEXT.dModel(), enc.encode(Tokenizers.load(model.resolve("t5/tokenizer"), 8).encode("a red circle")).size(1));
        }
        assertTrue(Files.size(dir.resolve("full/loss.png")) > 1000);
    }
}
