package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.curate.filter.FilterConfig;
import dev.zoetrope.curate.filter.Features;
import dev.zoetrope.curate.filter.LogisticModel;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.pipeline.RandomCheckpoints;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.dit.DitTraining;
import dev.zoetrope.train.dit.LatentSet;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.loop.MetricsLog;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.loop.Trainer;
import dev.zoetrope.train.shards.ShardClip;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.train.synth.SynthSidecar;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.train.text.VocabularyBuilder;

/**
 * Synthetic-world clips → curation with a model directory's VAE and tokenizer → shards the DiT trainer reads as they
 * are: latents of the stored frames, pooled latent statistics in the features, a few training steps and a checkpoint.
 */
class CuratedShardsTrainingTest {
    static final WanVaeConfig VAE = new WanVaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
    static final DitConfig DIT = new DitConfig(ModelFamily.LINUM, 32, 64, 2, 1, 32, 16, 8, 4, 4, new DitConfig.PatchSize(1, 2, 2),
            1e-5, 1e-6, false, false, true, true, true, true);
    static final T5Config TEXT = new T5Config(16, 8, 32, 2, 1, 8, 16, "gated-gelu", 1e-6, 200, false);
    /** The synthetic world's clips pass these (see docs/curation.md, "On the synthetic world's clips"). */
    static final FilterConfig PERMISSIVE = new FilterConfig(0.1, 0, 0, 1, 1, 0.05, 14, 0.5);

    @TempDir
    Path dir;

    @Test
    void curatedShardsCarryLatentsOfTheirFramesAndTrainTheDit() throws Exception {
        Path synth = dir.resolve("synth");
        SynthWorld.generate(synth, 4, 9, new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.TRAIN), 1, null);
        List<String> captions = SynthWorld.readIndex(synth).stream().map(SynthSidecar::caption).toList();
        Path tokFile = dir.resolve("tok/tokenizer.json");
        new VocabularyBuilder().addAll(captions).write(tokFile);
        Path modelDir = dir.resolve("model");
        RandomCheckpoints.linum(modelDir, new RandomCheckpoints.Spec(DIT, VAE, 1, 2, 32, tokFile,
                Tokenizers.load(tokFile).vocabSize(), DType.F32, 3), "64p", Map.of("resolutions", Map.of("64p", List.of(64, 64))));

        ModelInputs inputs = ModelInputs.of(dev.zoetrope.models.pipeline.ModelDirectory.detect(modelDir));
        assertEquals(DIT.textLen(), inputs.textLength(), "caption ids are cut where the model's DiT cuts them");
        Tokenizer tok = Tokenizers.load(inputs.tokenizer(), inputs.textLength());
        Path out = dir.resolve("run");
        CurateOptions o = CurateOptions.defaults(List.of(synth.toString()), out.toString());
        o = new CurateOptions(o.inputs(), o.out(), 2.0, 5.0, 8, 64, 64, 0, PERMISSIVE, null, null, 2, o.crf());
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Finalizer.Summary summary;
        ClipLatents.Spec spec = ClipLatents.Spec.of(inputs.vae());
        CaptionTokens captionIds = new CaptionTokens(inputs.tokenizer().toString(), inputs.textLength());
        try (ClipLatents latents = spec.open()) {
            summary = CuratePipeline.run(o, "DirectRunner", List.of(), captionIds, spec, quiet);
            assertEquals(4, summary.accepted(), "every synthetic clip passes the permissive rules");
            assertEquals(4, summary.shardClips());

            // Each clip's latents are the VAE's mean of its own stored frames, trimmed to 1+4k, as (C, F', H/8, W/8).
            Map<String, float[]> pooled = new HashMap<>();
            try (ShardReader r = ShardReader.open(out.resolve("shards"))) {
                for (ShardClip c : r) {
                    long[] f = c.record().tensors().get(ShardTensor.FRAMES).shape();
                    int used = latents.usableFrames((int) f[0]);
                    long[] z = c.record().tensors().get(ShardTensor.LATENTS).shape();
                    assertArrayEquals(new long[]{VAE.zDim(), (used - 1) / 4 + 1, 8, 8}, z, c.record().clipId());
                    assertEquals("F32", c.record().tensors().get(ShardTensor.LATENTS).dtype());
                    ClipLatents.Latent stored = ClipLatents.Latent.of(z, c.bytes(ShardTensor.LATENTS));
                    ClipLatents.Latent direct = latents.encode(c.bytes(ShardTensor.FRAMES), (int) f[0], 64, 64);
                    double maxAbs = 0, maxDiff = 0;
                    for (int i = 0; i < direct.values().length; i++) {
                        maxAbs = Math.max(maxAbs, Math.abs(direct.values()[i]));
                        maxDiff = Math.max(maxDiff, Math.abs(direct.values()[i] - stored.values()[i]));
                    }
                    assertTrue(maxAbs > 0, "a random VAE gives a non-zero latent");
                    assertTrue(maxDiff <= 1e-4 * maxAbs, "stored latents are the frames' encoding: max|Δ| " + maxDiff);
                    assertArrayEquals(tok.encode(c.record().caption()), ids(c.bytes(ShardTensor.TEXT_IDS)));
                    pooled.put(c.record().clipId(), stored.pooled());
                }
            }

            // features.jsonl: the signals and colours, then each latent channel's mean and std.
            List<String> lines = Files.readAllLines(out.resolve("features.jsonl"));
            assertEquals(4, lines.size());
            for (String l : lines) {
                JsonNode j = Json.PLAIN.readTree(l);
                JsonNode x = j.get("x");
                assertEquals(Features.BASE + Features.COLORS + 2 * VAE.zDim(), x.size());
                float[] p = pooled.get(j.get("clip_id").asText());
                for (int i = 0; i < p.length; i++) assertEquals(p[i], x.get(Features.BASE + Features.COLORS + i).asDouble(), 1e-6);
                assertTrue(p[VAE.zDim()] > 0, "a channel's spread over the clip is positive");
            }

            // A re-run finds every clip's latents cached (one file per clip) and encodes nothing again.
            List<Path> cached;
            try (var files = Files.list(out.resolve("work/latents").resolve(spec.key()))) {
                cached = files.sorted().toList();
            }
            assertEquals(4, cached.size(), "one cached latent per clip");
            for (Path f : cached) Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000));
            Finalizer.Summary again = CuratePipeline.run(o, "DirectRunner", List.of(), captionIds, spec, quiet);
            assertEquals(summary, again, "the same run again gives the same summary");
            for (Path f : cached) assertEquals(FileTime.fromMillis(1_000_000), Files.getLastModifiedTime(f), "latent cache untouched: " + f);
        }

        // The DiT trainer reads the curated shards as they are.
        try (LatentSet set = LatentSet.read(out.resolve("shards"))) {
            assertEquals(4, set.size());
            assertEquals(5, Tensors.shape(set.latents()).length);
            assertEquals(VAE.zDim(), set.latents().size(1));
        }
        T5Config text = TEXT.withVocabSize(tok.vocabSize());
        TrainConfig train = new TrainConfig(3, 2, 1, 2e-3, 1, 0.1, 0.0, 0.9, 0.99, 1e-8, 1.0, 0.9, 5, 3, 1, 0, 1);
        Path run = dir.resolve("dit");
        Trainer.Outcome outcome = DitTraining.run(out.resolve("shards"), inputs.tokenizer(), run,
                new DitTraining.Options(DIT, text, train, 0.1, 0, 1, 3), false, 3, null);
        assertEquals(3, outcome.endStep());
        assertTrue(Double.isFinite(outcome.lastLoss()) && outcome.lastLoss() > 0, "loss " + outcome.lastLoss());
        List<Double> losses = new ArrayList<>();
        for (JsonNode n : MetricsLog.read(run.resolve("metrics.jsonl"))) losses.add(n.get("loss").asDouble());
        assertEquals(3, losses.size());
        assertTrue(losses.stream().allMatch(Double::isFinite), losses.toString());
        try (Checkpoints.Loaded last = new Checkpoints(run).latest().orElseThrow()) {
            assertEquals(3, last.step(), "a checkpoint at the last step");
        }
    }

    @Test
    void refusesSizesTheVaeCannotEncodeAndFilterModelsOfOtherFeatures() throws Exception {
        Path synth = dir.resolve("synth");
        Files.createDirectories(synth);
        Path vaeDir = dir.resolve("vae");
        try (var vae = dev.zoetrope.models.vae.WanVae.random(VAE, 1)) {
            float[] mean = new float[VAE.zDim()], std = new float[VAE.zDim()];
            java.util.Arrays.fill(std, 1f);
            dev.zoetrope.models.vae.VaeCheckpoints.writeDiffusers(vaeDir, vae.params(), VAE,
                    dev.zoetrope.models.vae.LatentScale.fromMeanStd(mean, std));
        }
        ClipLatents.Spec latents = ClipLatents.Spec.of(vaeDir);
        {
            CurateOptions o = CurateOptions.defaults(List.of(synth.toString()), dir.resolve("run").toString()).withSize(60, 64);
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                    () -> CuratePipeline.run(o, "DirectRunner", List.of(), ShardExtras.NONE, latents, System.err));
            assertTrue(e.getMessage().contains("multiples of 8") && e.getMessage().contains("60x64"), e.getMessage());

            // A model fitted without latent statistics does not fit a run with them.
            int n = Features.BASE + Features.COLORS;
            new LogisticModel(Features.names(0), new double[n], ones(n), new double[n], 0, 1, 0.5).save(dir.resolve("m.json"));
            CurateOptions withModel = o.withSize(64, 64).withModel(dir.resolve("m.json").toString());
            e = assertThrows(InvalidRequestException.class,
                    () -> CuratePipeline.run(withModel, "DirectRunner", List.of(), ShardExtras.NONE, latents, System.err));
            assertTrue(e.getMessage().contains("16 features") && e.getMessage().contains("8 latent statistics"), e.getMessage());
            Finalizer.checkFilterModel(withModel, 0); // and fits a run without a VAE

            // A model of an earlier version's signals (no visible share) is refused with what to do, not misapplied.
            List<String> older = new java.util.ArrayList<>(Features.names(0));
            older.remove("visible");
            new LogisticModel(older, new double[n - 1], ones(n - 1), new double[n - 1], 0, 1, 0.5).save(dir.resolve("old.json"));
            e = assertThrows(InvalidRequestException.class,
                    () -> Finalizer.checkFilterModel(o.withModel(dir.resolve("old.json").toString()), 0));
            assertTrue(e.getMessage().contains("other signals") && e.getMessage().contains("label train"), e.getMessage());
        }
    }

    @Test
    void batchedWholeAndChunkedEncodingsAgree() {
        byte[][] clips = new byte[2][11 * 64 * 64 * 3]; // 11 frames: both keep the first 9 (1+4k)
        java.util.Random rnd = new java.util.Random(4);
        for (byte[] c : clips) rnd.nextBytes(c);
        try (var vae = dev.zoetrope.models.vae.WanVae.random(VAE, 2)) {
            ClipLatents whole = new ClipLatents(vae, "random-2"), chunked = new ClipLatents(vae, "random-2", 0);
            assertEquals(8, whole.batchSize(11, 64, 64));
            assertEquals(1, chunked.batchSize(11, 64, 64));
            List<ClipLatents.Latent> batched = whole.encode(List.of(clips), 11, 64, 64);
            for (int i = 0; i < clips.length; i++) {
                ClipLatents.Latent one = chunked.encode(java.util.Arrays.copyOf(clips[i], 9 * 64 * 64 * 3), 9, 64, 64);
                assertArrayEquals(new long[]{4, 3, 8, 8}, one.shape());
                assertArrayEquals(one.shape(), batched.get(i).shape());
                double maxAbs = 0, maxDiff = 0;
                for (int j = 0; j < one.values().length; j++) {
                    maxAbs = Math.max(maxAbs, Math.abs(one.values()[j]));
                    maxDiff = Math.max(maxDiff, Math.abs(one.values()[j] - batched.get(i).values()[j]));
                }
                assertTrue(maxAbs > 0 && maxDiff <= 1e-4 * maxAbs, "clip " + i + ": max|Δ| " + maxDiff + " of " + maxAbs);
            }
        }
    }

    @Test
    void pooledStatisticsAreEachChannelsMeanThenStd() {
        // 2 channels of 1×1×4: [1, 2, 3, 4] and [5, 5, 5, 5]
        ClipLatents.Latent z = new ClipLatents.Latent(new long[]{2, 1, 1, 4}, new float[]{1, 2, 3, 4, 5, 5, 5, 5});
        assertArrayEquals(new float[]{2.5f, 5f, (float) Math.sqrt(1.25), 0f}, z.pooled(), 1e-6f);
    }

    private static double[] ones(int n) {
        double[] d = new double[n];
        java.util.Arrays.fill(d, 1);
        return d;
    }

    private static int[] ids(byte[] le) {
        int[] out = new int[le.length / 4];
        java.nio.ByteBuffer.wrap(le).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }
}
