package dev.zoetrope.train.loop;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.dit.FlowMatching;
import dev.zoetrope.train.dit.LatentSet;
import dev.zoetrope.train.dit.TextToVideoTask;
import dev.zoetrope.train.shards.ClipRecord;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.train.shards.ShardWriter;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.train.vae.VaeTrainingTask;

/**
 * Training on a device, proven without a GPU: one whole optimizer step of the DiT (with its text encoder) and of the VAE
 * on libtorch's {@code meta} device, through the trainer's own step code. Any tensor the step made on the host and mixed
 * with the weights would fail it ("expected all tensors on the same device"); afterwards every parameter, gradient,
 * AdamW moment and EMA weight is on meta, and every parameter received a gradient, so autograd ran through every layer
 * there (the shape-only stand-ins of kernels meta lacks would have cut it).
 */
class TrainingStepOnMetaTest {
    static final Device META = new Device("meta");
    static final DitConfig DIT = new DitConfig(ModelFamily.LINUM, 32, 64, 2, 2, 32, 16, 8, 4, 4, new DitConfig.PatchSize(1, 2, 2),
            1e-5, 1e-6, false, false, true, true, true, true);
    static final T5Config TEXT = new T5Config(16, 8, 32, 2, 1, 8, 16, "gated-gelu", 1e-6, 40, false);
    /** Two micro-batches per step, clipping on, weight decay on, EMA on. */
    static final TrainConfig TRAIN = new TrainConfig(10, 2, 2, 1e-3, 2, 0.1, 0.01, 0.9, 0.99, 1e-8, 1.0, 0.9, 5, 10, 1, 0, 1);

    @TempDir
    Path dir;

    /** Four clips of (4, 3, 4, 4) latents with captions of a few token ids. */
    static void writeLatents(Path shards) throws Exception {
        Engine.init();
        try (ShardWriter w = ShardWriter.open(shards, 10)) {
            for (int i = 0; i < 4; i++) {
                float[] z = new float[4 * 3 * 4 * 4];
                for (int j = 0; j < z.length; j++) z[j] = (float) Math.sin(i + 0.37 * j);
                w.add(ClipRecord.of("c" + i, "clip " + i, "c" + i, 0, 1, 8, 32, 32, 9, Map.of()),
                        List.of(ShardTensor.f32(ShardTensor.LATENTS, new long[]{4, 3, 4, 4}, z), ShardTensor.textIds(new int[]{3 + i, 7, 1})));
            }
        }
    }

    static TextToVideoTask ditTask(DiffusionTransformer dit, T5Encoder text, LatentSet data) {
        return new TextToVideoTask(dit, text, data, new FlowMatching(0, 1, 1), 0.5, 1.0, new int[]{1}, new float[]{1, 1, 1, 1},
                new float[4], null);
    }

    @Test
    void aDitTrainingStepRunsWholeOnMeta() throws Exception {
        writeLatents(dir.resolve("shards"));
        try (LatentSet data = LatentSet.read(dir.resolve("shards"));
             T5Encoder text = T5Encoder.random(TEXT, 0.02, 7, DType.F32, true, META);
             DiffusionTransformer dit = DiffusionTransformer.trainable(DIT, 5, Attention.Options.defaults(), META)) {
            TextToVideoTask task = ditTask(dit, text, data);
            try {
                stepOnMetaAndCheck(task);
            } finally {
                task.close();
            }
        }
    }

    @Test
    void aVaeTrainingStepRunsWholeOnMeta() throws Exception {
        SynthWorld.generate(dir.resolve("clips"), 4, 3, new SynthWorld.Settings(32, 32, 9, 8, SynthWorld.Split.TRAIN), 1, null);
        // with an attention block at the middle, as every Wan VAE has
        WanVaeConfig model = new WanVaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
        try (ClipSet clips = ClipSet.readSynth(dir.resolve("clips"), 4);
             WanVae vae = WanVae.trainable(model, 11, META)) {
            stepOnMetaAndCheck(new VaeTrainingTask(vae, clips, 5, 1e-4, 4.0));
        }
    }

    /** A text encoder left on the host while the DiT is on meta: the step fails, naming both devices. */
    @Test
    void aModelLeftOnTheHostIsCaught() throws Exception {
        writeLatents(dir.resolve("shards"));
        try (LatentSet data = LatentSet.read(dir.resolve("shards"));
             T5Encoder text = T5Encoder.random(TEXT, 0.02, 7, DType.F32, true);
             DiffusionTransformer dit = DiffusionTransformer.trainable(DIT, 5, Attention.Options.defaults(), META);
             PointerScope scope = new PointerScope()) {
            TextToVideoTask task = ditTask(dit, text, data);
            try {
                Trainer trainer = new Trainer(task, TRAIN, dir.resolve("run"), "meta");
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> trainer.backward(0, new ArrayList<>(task.parameters().values())));
                assertTrue(e.getMessage().contains("same device") && e.getMessage().contains("meta") && e.getMessage().contains("cpu"),
                        e.getMessage());
            } finally {
                task.close();
            }
        }
    }

    /**
     * A checkpoint of a step taken on the host resumes onto the device: parameters, EMA weights and AdamW moments are
     * copied into the tensors on meta, which stay there, and the optimizer's step count comes back.
     */
    @Test
    void aCheckpointWrittenOnTheHostResumesOntoTheDevice() throws Exception {
        writeLatents(dir.resolve("shards"));
        Checkpoints ckpts = new Checkpoints(dir.resolve("run"));
        try (LatentSet data = LatentSet.read(dir.resolve("shards"));
             T5Encoder text = T5Encoder.random(TEXT, 0.02, 7, DType.F32, true);
             DiffusionTransformer dit = DiffusionTransformer.trainable(DIT, 5, Attention.Options.defaults())) {
            TextToVideoTask task = ditTask(dit, text, data);
            Map<String, Tensor> params = task.parameters();
            List<Tensor> list = new ArrayList<>(params.values());
            try (PointerScope scope = new PointerScope();
                 AdamW opt = new AdamW(params, TRAIN.beta1(), TRAIN.beta2(), TRAIN.eps(), TRAIN.weightDecay());
                 Ema ema = new Ema(params, TRAIN.emaDecay())) {
                new Trainer(task, TRAIN, dir.resolve("run"), "cpu").backward(0, list);
                Trainer.update(0, TRAIN.lrAt(0), list, opt, ema);
                ckpts.save(1, params, ema.weights(), opt.state(), Map.of("optimizer_step", "1"), 1);
            } finally {
                task.close();
            }
        }
        try (LatentSet data = LatentSet.read(dir.resolve("shards"));
             T5Encoder text = T5Encoder.random(TEXT, 0.02, 8, DType.F32, true, META);
             DiffusionTransformer dit = DiffusionTransformer.trainable(DIT, 6, Attention.Options.defaults(), META);
             Checkpoints.Loaded saved = ckpts.latest().orElseThrow()) {
            TextToVideoTask task = ditTask(dit, text, data);
            Map<String, Tensor> params = task.parameters();
            try (AdamW opt = new AdamW(params, TRAIN.beta1(), TRAIN.beta2(), TRAIN.eps(), TRAIN.weightDecay());
                 Ema ema = new Ema(params, TRAIN.emaDecay())) {
                for (Tensor t : saved.params().values()) assertTrue(t.is_cpu(), "a checkpoint is read on the host");
                assertEquals(1, Trainer.restore(saved, params, opt, ema));
                assertEquals(1, opt.stepCount());
                for (var e : params.entrySet()) assertTrue(e.getValue().is_meta() && e.getValue().requires_grad(), e.getKey());
                for (var e : opt.state().entrySet()) assertTrue(e.getValue().is_meta(), e.getKey());
                for (var e : ema.weights().entrySet()) assertTrue(e.getValue().is_meta(), "EMA " + e.getKey());
            } finally {
                task.close();
            }
        }
    }

    /** The trainer's step (two micro-batches, clip) and update (AdamW, zeroed gradients, EMA), then where everything is. */
    static void stepOnMetaAndCheck(TrainingTask task) {
        Map<String, Tensor> params = task.parameters();
        List<Tensor> list = new ArrayList<>(params.values());
        for (var e : params.entrySet()) assertTrue(e.getValue().is_meta() && e.getValue().requires_grad(), e.getKey() + " made on meta");
        Trainer trainer = new Trainer(task, TRAIN, Path.of("unused"), "meta");
        try (PointerScope scope = new PointerScope();
             AdamW opt = new AdamW(params, TRAIN.beta1(), TRAIN.beta2(), TRAIN.eps(), TRAIN.weightDecay());
             Ema ema = new Ema(params, TRAIN.emaDecay())) {
            Tensor metrics = trainer.backward(0, list);
            assertTrue(metrics.is_meta(), "the step's metrics stay on the device until read");
            assertArrayEquals(new long[]{TRAIN.gradAccumulation() + 1}, Tensors.shape(metrics), "a loss per micro-batch, then the norm");
            for (var e : params.entrySet()) {
                Tensor g = e.getValue().grad();
                assertTrue(g.defined(), e.getKey() + " received a gradient");
                assertTrue(g.is_meta(), e.getKey() + "'s gradient is on meta");
                assertArrayEquals(Tensors.shape(e.getValue()), Tensors.shape(g), e.getKey());
            }
            Trainer.update(0, TRAIN.lrAt(0), list, opt, ema);
            for (var e : params.entrySet()) {
                assertTrue(e.getValue().is_meta() && e.getValue().grad().is_meta(), e.getKey());
                assertTrue(e.getValue().is_leaf() && e.getValue().requires_grad(), e.getKey() + " is still a trainable leaf");
            }
            assertEquals(2 * params.size(), opt.state().size());
            for (var e : opt.state().entrySet()) assertTrue(e.getValue().is_meta(), e.getKey());
            assertEquals(params.keySet(), ema.weights().keySet());
            for (var e : ema.weights().entrySet()) assertTrue(e.getValue().is_meta(), "EMA " + e.getKey());
        }
    }
}
