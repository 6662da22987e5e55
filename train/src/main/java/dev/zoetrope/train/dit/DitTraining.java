package dev.zoetrope.train.dit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.models.bench.T5Bench;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.dit.DitKeyLayout;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.loop.Trainer;

/**
 * {@code zoetrope train dit}: trains a DiT and its T5-style text encoder from scratch on latent shards
 * with flow matching, then exports them (EMA weights) in the Linum layout the generator loads:
 * {@code dit/<resolution>.safetensors} with {@code model.*} keys and the latent {@code video_data_scale}/
 * {@code video_data_bias}, {@code dit/config.json}, and {@code t5/text_encoder/} in Hugging Face T5 names.
 */
public final class DitTraining {
    /**
     * @param captionDropout probability of training a sample on the empty prompt
     * @param logitMean      mean of the logit-normal sigma distribution
     * @param logitStd       its std
     * @param shift          sigma shift, the same as the sampler's (the exported model's {@code zoetrope.json} carries it)
     * @param textSeed       seed of the text encoder's initial weights (a recipe's {@code text_seed}, else the run's seed)
     * @param salientWeight  weight of a fully salient latent position in the loss (1: plain MSE; see {@link TextToVideoTask})
     * @param attributeWeight weight of the caption-attribute loss on the text encoder ({@link CaptionAttributes}; 0: none)
     */
    public record Options(DitConfig dit, T5Config text, TrainConfig train, double captionDropout, double logitMean, double logitStd,
                          double shift, long textSeed, double salientWeight, double attributeWeight) {
        public Options {
            if (!(attributeWeight >= 0)) throw new IllegalArgumentException("attribute_weight must be ≥ 0, got " + attributeWeight);
        }

        /** Options whose text encoder starts from the run's own seed, with a plain MSE and no attribute loss. */
        public Options(DitConfig dit, T5Config text, TrainConfig train, double captionDropout, double logitMean, double logitStd,
                       double shift) {
            this(dit, text, train, captionDropout, logitMean, logitStd, shift, train.seed(), 1.0, 0.0);
        }

        public Options withText(T5Config t) {
            return new Options(dit, t, train, captionDropout, logitMean, logitStd, shift, textSeed, salientWeight, attributeWeight);
        }
    }

    /** Seed of the caption-attribute heads' initial weights (they are drawn after the DiT, so they change nothing of it). */
    static final long ATTRIBUTE_SEED = 0xA77;

    /** The text encoder's matrices start N(0, 0.02²), as T5's own initialisation. */
    static final double TEXT_INIT_STD = 0.02;

    private DitTraining() {}

    /** Trains on the CPU until step {@code until} (see {@link Trainer#run(boolean, int)}). */
    public static Trainer.Outcome run(Path shards, Path tokenizerDir, Path runDir, Options o, boolean resume, int until,
                                      TextToVideoTask.Sampler sampler) throws IOException {
        return run(shards, tokenizerDir, runDir, o, resume, until, sampler, ComputeDevice.CPU);
    }

    /**
     * Trains on {@code device} (resolved) until step {@code until}: the DiT and text encoder are drawn on the host from
     * their seeds and placed there tensor by tensor, so a seed starts the same model on every device; the latents stay
     * on the host and each batch is moved.
     */
    public static Trainer.Outcome run(Path shards, Path tokenizerDir, Path runDir, Options o, boolean resume, int until,
                                      TextToVideoTask.Sampler sampler, ComputeDevice device) throws IOException {
        org.bytedeco.pytorch.Device target = device.target();
        boolean writes = ProcessGroup.writesFiles();
        if (writes) {
            Files.createDirectories(runDir);
            Json.write(runDir.resolve("dit_model.json"), o.dit().toJson());
            Json.write(runDir.resolve("text_model.json"), o.text());
        }
        Tokenizer tokenizer = Tokenizers.load(tokenizerDir, o.dit().textLen());
        try (LatentSet data = LatentSet.read(shards);
             T5Encoder text = T5Encoder.random(o.text(), TEXT_INIT_STD, o.textSeed(), DType.F32, true, target);
             DiffusionTransformer dit = DiffusionTransformer.trainable(o.dit(), o.train().seed(), Attention.Options.training(target), target)) {
            float[][] stats = data.channelStats();
            float[] scale = new float[stats[0].length], bias = new float[stats[0].length];
            for (int c = 0; c < scale.length; c++) {
                scale[c] = 0.5f / Math.max(stats[1][c], 1e-6f);
                bias[c] = -stats[0][c] * scale[c];
            }
            Map<String, Object> latent = new LinkedHashMap<>();
            latent.put("video_data_scale", scale);
            latent.put("video_data_bias", bias);
            if (writes) Json.write(runDir.resolve("latent_scale.json"), latent);
            CaptionAttributes attributes = o.attributeWeight() > 0
                    ? new CaptionAttributes(data.captions(), o.text().dModel(), ATTRIBUTE_SEED, target) : null;
            TextToVideoTask task = new TextToVideoTask(dit, text, data, new FlowMatching(o.logitMean(), o.logitStd(), o.shift()),
                    o.captionDropout(), o.salientWeight(), attributes, o.attributeWeight(), tokenizer.encode(""), scale, bias, sampler);
            try (attributes) {
                return new Trainer(task, o.train(), runDir, "dit").run(resume, until);
            } finally {
                task.close();
            }
        }
    }

    /**
     * Writes the newest checkpoint's EMA weights into a model directory {@code out}: {@code dit/<resolution>.safetensors},
     * {@code dit/config.json}, {@code t5/text_encoder/{config.json,model.safetensors}}, {@code t5/tokenizer/tokenizer.json}.
     */
    public static void export(Path runDir, Path tokenizerDir, Options o, String resolution, Path out) throws IOException {
        // The checkpoint first: an export before any DiT training should say so, not name a missing latent_scale.json.
        try (Checkpoints.Loaded last = new Checkpoints(runDir).latest()
                .orElseThrow(() -> new InvalidRequestException(runDir + " holds no DiT checkpoint to export"))) {
            Map<String, Object> latent = Json.PLAIN.convertValue(Json.readTree(runDir.resolve("latent_scale.json")), Map.class);
            float[] scale = floats(latent.get("video_data_scale")), bias = floats(latent.get("video_data_bias"));
            Map<String, Tensor> text = new TreeMap<>();
            last.weights().forEach((k, t) -> {
                if (k.startsWith("text.")) text.put(k.substring(5), t);
            });
            writeDit(out.resolve("dit").resolve(resolution + ".safetensors"), ditWeights(last), new LatentScale(scale, bias));
            Json.write(out.resolve("dit/config.json"), o.dit().toJson());
            Path textDir = out.resolve("t5/text_encoder");
            Files.createDirectories(textDir);
            SafetensorsWriter.write(textDir.resolve("model.safetensors"), text, Map.of("format", "pt"));
            AtomicFiles.writeString(textDir.resolve("config.json"), huggingFaceConfig(o.text()));
        }
        Path tokDir = out.resolve("t5/tokenizer");
        Files.createDirectories(tokDir);
        Files.copy(tokenizerDir.resolve("tokenizer.json"), tokDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** A checkpoint's DiT weights ({@code dit.*}, EMA when it has them) by model key. */
    public static Map<String, Tensor> ditWeights(Checkpoints.Loaded checkpoint) {
        Map<String, Tensor> dit = new TreeMap<>();
        checkpoint.weights().forEach((k, t) -> {
            if (k.startsWith("dit.")) dit.put(k.substring(4), t);
        });
        return dit;
    }

    /**
     * Writes DiT weights (by model key) as a Linum checkpoint: {@code model.*} plus the latent map as
     * {@code video_data_scale}/{@code video_data_bias}.
     */
    public static void writeDit(Path file, Map<String, Tensor> weights, LatentScale latentScale) throws IOException {
        Map<String, Tensor> out = new TreeMap<>();
        weights.forEach((k, t) -> out.put(DitKeyLayout.LINUM.fileKey(k), t));
        float[] scale = latentScale.scale(), bias = latentScale.bias();
        out.put(LatentScale.SCALE_KEY, Tensors.fromFloats(scale, scale.length));
        out.put(LatentScale.BIAS_KEY, Tensors.fromFloats(bias, bias.length));
        Files.createDirectories(file.toAbsolutePath().getParent());
        SafetensorsWriter.write(file, out, Map.of("format", "pt"));
    }

    /** The text encoder's config in Hugging Face {@code T5Config} names. */
    static String huggingFaceConfig(T5Config c) throws IOException {
        ObjectNode n = c.toHuggingFace();
        n.put("torch_dtype", "float32");
        return Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
    }

    private static float[] floats(Object list) {
        java.util.List<?> l = (java.util.List<?>) list;
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) l.get(i)).floatValue();
        return out;
    }
}
