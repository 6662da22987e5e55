package dev.zoetrope.train.dit;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.dit.DitFamily;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.loop.MetricsLog;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.train.text.VocabularyBuilder;
import dev.zoetrope.train.vae.VaeTraining;

/** dataset → VAE → latent shards → joint DiT + text training → checkpoint → resume → export, on a micro config. */
class TinyPipelineTrainingTest {
    static final DitConfig DIT = new DitConfig(DitFamily.LINUM, 32, 64, 2, 1, 32, 16, 8, 4, 4, new DitConfig.PatchSize(1, 2, 2),
            1e-5, 1e-6, false, false, true, true, true, true);
    static final T5Config TEXT = new T5Config(16, 8, 32, 2, 1, 8, 16, "gated-gelu", 1e-6, 200, false);

    static TrainConfig train(int steps) {
        return new TrainConfig(steps, 4, 1, 2e-3, 3, 0.1, 0.0, 0.9, 0.99, 1e-8, 1.0, 0.9, 5, 10, 1, 0, 2);
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

        // Stop at step 20 with a checkpoint, then resume in a new trainer: the same 40 losses, bit for bit.
        Path split = dir.resolve("split");
        DitTraining.run(dir.resolve("shards"), tok, split, o, false, 20, null);
        assertEquals(20, losses(split).size());
        DitTraining.run(dir.resolve("shards"), tok, split, o, true, 40, null);
        assertEquals(full, losses(split), "resumed run repeats the uninterrupted losses exactly");

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
