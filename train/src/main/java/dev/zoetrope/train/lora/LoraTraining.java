package dev.zoetrope.train.lora;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.LowRank;
import dev.zoetrope.models.pipeline.DitVelocity;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.PromptEncoder;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.dit.FlowMatching;
import dev.zoetrope.train.dit.LatentSet;
import dev.zoetrope.train.dit.SampleStrips;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.loop.Trainer;

/**
 * {@code train --recipe lora}: rank-r adapters on chosen Linears of any model directory's DiT, trained by flow matching
 * on curated shards (latents + captions) while the base weights stay frozen in the dtype they load in (bf16 and fp8
 * checkpoints included), then exported as a kohya- or PEFT-form file that {@code generate --lora} reads. Runs through
 * the shared {@link Trainer}: checkpoints (the adapters alone), exact resume, metrics, the loss curve, sample strips.
 */
public final class LoraTraining {
    /** The run's parameter names: {@code lora.<module>.lora_down.weight}, ... */
    static final String PREFIX = "lora.";

    /**
     * @param lora           the adapters' rank, alpha and target Linears
     * @param captionDropout probability of training a sample on the empty prompt
     * @param logitMean      mean of the logit-normal sigma distribution (shifted by the base model's shift)
     * @param logitStd       its std
     * @param dtype          the dtype the base weights load in, as generate's {@code --dtype} (AUTO: as stored on the CPU,
     *                       bf16 on a GPU; fp8 dequantizes to bf16)
     */
    public record Options(LoraLayers.Spec lora, TrainConfig train, double captionDropout, double logitMean, double logitStd,
                          WeightDtype dtype) {
        public Options {
            if (!(captionDropout >= 0 && captionDropout <= 1))
                throw new InvalidRequestException("caption_dropout must be within [0, 1], got " + captionDropout);
            if (!(logitStd > 0)) throw new InvalidRequestException("logit_std must be > 0, got " + logitStd);
            if (dtype == null) dtype = WeightDtype.AUTO;
        }
    }

    private LoraTraining() {}

    /**
     * Trains until step {@code until} (see {@link Trainer#run(boolean, int)}) on the clips of {@code shards}, which must
     * hold latents made by {@code base}'s VAE ({@code curate --latents-from BASE}).
     *
     * @param strips  sample strips of base + adapters, or null for none
     * @param device  where training runs (resolved)
     */
    public static Trainer.Outcome run(ModelDirectory base, Path shards, Path runDir, Options o, boolean resume, int until,
                                      SampleStrips.Settings strips, List<String> prompts, ComputeDevice device) throws IOException {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("base", base.root().toString());
        record.put("rank", o.lora().rank());
        record.put("alpha", o.lora().alpha());
        record.put("targets", o.lora().targets());
        if (ProcessGroup.writesFiles()) {
            Files.createDirectories(runDir);
            Json.write(runDir.resolve("lora.json"), record);
        }
        TextToVideo.Parts parts = ModelLoader.parts(base, o.dtype(), device);
        try (LatentSet data = LatentSet.read(shards);
             DiffusionTransformer frozen = load(base, o.dtype(), device);
             LoraLayers layers = LoraLayers.fresh(o.lora(), o.train().seed());
             DiffusionTransformer model = frozen.adapted(layers);
             PromptEncoder text = parts.text().get()) {
            requireMatchingLatents(data, frozen, shards, base);
            if (layers.layers().isEmpty())
                throw new InvalidRequestException("lora.targets " + o.lora().targets() + " name no Linear of this DiT's blocks "
                        + "(e.g. self_attn.q, self_attn.k, self_attn.v, self_attn.o, cross_attn.q ... cross_attn.o, ffn.0, ffn.2)");
            SampleStrips sampler = strips == null ? null : SampleStrips.adapting(parts, frozen.config(),
                    weights -> adaptedVelocity(frozen, weights, o.lora()), strips, prompts);
            Map<String, String> meta = Map.of("lora_rank", Integer.toString(o.lora().rank()), "lora_alpha",
                    Double.toString(o.lora().alpha()), "lora_targets", String.join(",", o.lora().targets()));
            LoraTask task = new LoraTask(model, layers, data, new FlowMatching(o.logitMean(), o.logitStd(), base.shift()),
                    o.captionDropout(), text, parts.latentScale(), sampler, meta);
            try {
                return new Trainer(task, o.train(), runDir, "lora").run(resume, until);
            } finally {
                task.close();
            }
        }
    }

    /** The base DiT, frozen, loaded as generate loads it (in {@code dtype}), where training runs. */
    static DiffusionTransformer load(ModelDirectory base, WeightDtype dtype, ComputeDevice device) {
        return DiffusionTransformer.load(base.ditWeights(), ModelLoader.ditOptions(base, dtype, device.target()).withAttention(Attention.Options.training(device.target())));
    }

    /** The frozen model with the adapters held in a weights map (the trainer's EMA weights), for the sample strips. */
    private static DitVelocity adaptedVelocity(DiffusionTransformer frozen, Map<String, org.bytedeco.pytorch.Tensor> weights,
                                               LoraLayers.Spec spec) {
        return new DitVelocity(frozen.adapted(LoraLayers.fixed(LoraLayers.read(weights, PREFIX, spec))));
    }

    /** Latents of another VAE would train the adapters on noise: the channel count must be the DiT's. */
    private static void requireMatchingLatents(LatentSet data, DiffusionTransformer dit, Path shards, ModelDirectory base) {
        long channels = data.latents().size(1);
        if (channels != dit.config().inDim())
            throw new InvalidRequestException(shards + ": latents have " + channels + " channels, " + base.root() + "'s DiT takes "
                    + dit.config().inDim() + "; curate the clips with --latents-from " + base.root());
    }

    /**
     * Writes the newest checkpoint's adapters (EMA when the run keeps it) as {@code file} in {@code form}, with what made
     * them in the metadata.
     */
    public static void export(Path runDir, LoraLayers.Spec spec, Lora.Form form, Path file, Map<String, String> metadata) throws IOException {
        try (Checkpoints.Loaded last = new Checkpoints(runDir).latest()
                .orElseThrow(() -> new InvalidRequestException(runDir + " holds no LoRA checkpoint to export; run the lora stage"));
             PointerScope scope = new PointerScope()) {
            Map<String, LowRank> layers = LoraLayers.read(last.weights(), PREFIX, spec);
            Map<String, String> meta = new LinkedHashMap<>(metadata);
            meta.put("zoetrope_step", Integer.toString(last.step()));
            meta.put("lora_targets", String.join(",", spec.targets()));
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Lora.write(file, layers, spec.alpha(), form, meta);
        }
    }
}
