package dev.zoetrope.models.pipeline;

import java.util.List;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.io.ClipWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.vae.LatentScale;

/**
 * Opens a detected {@link ModelDirectory} as a {@link TextToVideo}: the family's text encoder, DiT, VAE and latent
 * scaling, each loaded only when its stage runs.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * A generator for a long-running service: the DiT and VAE kept loaded between requests (the text encoder is
     * still loaded per request and freed before the DiT runs), writing each clip through {@code output}.
     */
    public static TextToVideo openForService(ModelDirectory dir, WeightDtype dtype, ComputeDevice device,
                                             ClipWriter.Factory output) {
        return openForService(dir, dtype, device, Offload.NONE, List.of(), false, output);
    }

    /**
     * {@link #openForService(ModelDirectory, WeightDtype, ComputeDevice, ClipWriter.Factory)} with
     * {@code offload} (which keeps nothing loaded but NONE) and LoRA adapters merged into the DiT for every request.
     */
    public static TextToVideo openForService(ModelDirectory dir, WeightDtype dtype, ComputeDevice device, Offload offload,
                                             List<Lora> loras, boolean loraLenient, ClipWriter.Factory output) {
        return open(dir, dtype, device, new TextToVideo.Options(true, true, null, Double.NaN, Double.NaN, offload)
                .withLoras(loras, loraLenient), output);
    }

    /** {@link #open(ModelDirectory, WeightDtype, ComputeDevice, TextToVideo.Options, ClipWriter.Factory)} on the CPU. */
    public static TextToVideo open(ModelDirectory dir, WeightDtype dtype, TextToVideo.Options options,
                                   ClipWriter.Factory output) {
        return open(dir, dtype, ComputeDevice.CPU, options, output);
    }

    /**
     * The model in {@code dir} as a generator on {@code device} (resolved: {@link ComputeDevice#resolve}), handing
     * each clip's frames to a writer from {@code output} (files: the video module's {@code ClipFiles}).
     */
    public static TextToVideo open(ModelDirectory dir, WeightDtype dtype, ComputeDevice device, TextToVideo.Options options,
                                   ClipWriter.Factory output) {
        return new TextToVideo(parts(dir, dtype, device, options.offload(), options.loras(), options.loraLenient()), options,
                output);
    }

    /** {@link #parts(ModelDirectory, WeightDtype, ComputeDevice)} on the CPU. */
    public static TextToVideo.Parts parts(ModelDirectory dir, WeightDtype dtype) {
        return parts(dir, dtype, ComputeDevice.CPU);
    }

    /**
     * How to load each part of {@code dir} onto {@code device} (resolved), the DiT and text encoder cast to
     * {@code dtype} tensor by tensor as they load; the latent scaling is read now so a bad checkpoint fails early.
     * Every weight goes from the file to the device tensor by tensor; activations follow their weights.
     */
    public static TextToVideo.Parts parts(ModelDirectory dir, WeightDtype dtype, ComputeDevice device) {
        return parts(dir, dtype, device, Offload.NONE);
    }

    /** {@link #parts(ModelDirectory, WeightDtype, ComputeDevice)}; with SEQUENTIAL offload the DiT streams its blocks. */
    public static TextToVideo.Parts parts(ModelDirectory dir, WeightDtype dtype, ComputeDevice device, Offload offload) {
        return parts(dir, dtype, device, offload, List.of(), false);
    }

    /** {@link #parts(ModelDirectory, WeightDtype, ComputeDevice, Offload)} with LoRA adapters merged into the DiT as it loads. */
    public static TextToVideo.Parts parts(ModelDirectory dir, WeightDtype dtype, ComputeDevice device, Offload offload,
                                          List<Lora> loras, boolean loraLenient) {
        return parts(dir, dtype, device, ditOptions(dir, dtype, device.target())
                .withStreamedBlocks(offload == Offload.SEQUENTIAL).withLoras(loras, loraLenient));
    }

    /**
     * {@link #parts(ModelDirectory, WeightDtype, ComputeDevice)} with the DiT's attention kernel fixed, e.g.
     * {@link Attention.Options#training}: AUTO chooses by timing, and the kernels round differently, so only a fixed
     * kernel makes the same bytes in every process.
     */
    public static TextToVideo.Parts parts(ModelDirectory dir, WeightDtype dtype, ComputeDevice device, Attention.Options attention) {
        return parts(dir, dtype, device, ditOptions(dir, dtype, device.target()).withAttention(attention));
    }

    private static TextToVideo.Parts parts(ModelDirectory dir, WeightDtype dtype, ComputeDevice device, DitLoadOptions dit) {
        org.bytedeco.pytorch.Device target = device.target();
        DType cast = castFor(dtype, target);
        ModelFamily family = dir.family();
        return new TextToVideo.Parts(family, dir.capabilities(), dir.shift(),
                () -> T5PromptEncoder.load(dir.textConfig(), dir.textEncoder(), dir.tokenizer(), family, dir.textLength(), cast,
                        target),
                () -> new DitVelocity(DiffusionTransformer.load(dir.ditWeights(), dit)),
                () -> VaeDecoder.load(dir, device, vaeDtype(dtype)),
                latentScale(dir), dir.name());
    }

    /**
     * How {@code dir}'s DiT loads onto {@code target} (null: the CPU): its settings over the inferred config, cast to
     * {@code dtype} as {@link #castFor} decides. Generation, LoRA training and distillation all load it this way.
     */
    public static DitLoadOptions ditOptions(ModelDirectory dir, WeightDtype dtype, org.bytedeco.pytorch.Device target) {
        return DitLoadOptions.defaults().withOverrides(dir.ditSettings()).withCast(castFor(dtype, target)).withDevice(target);
    }

    /**
     * The dtype the VAE decodes in: bf16 when asked for explicitly (about twice as fast on a CPU with bf16 dot products,
     * 56–59 dB from a float64 decode: docs/performance.md), else float32, which matches the reference numbers.
     */
    static DType vaeDtype(WeightDtype dtype) {
        return dtype == WeightDtype.BF16 ? DType.BF16 : DType.F32;
    }

    /**
     * The dtype the DiT and text encoder load in: what was asked, else bf16 on a GPU (its tensor cores are bf16; float32
     * checkpoints would take twice the memory), else as stored.
     */
    static DType castFor(WeightDtype dtype, org.bytedeco.pytorch.Device target) {
        if (dtype.cast() != null) return dtype.cast();
        return target != null && target.is_cuda() ? DType.BF16 : null;
    }

    /**
     * Linum: the {@code video_data_scale}/{@code video_data_bias} buffers of its DiT checkpoint (read now, so a
     * checkpoint without them fails before any model loads). Wan: the VAE's latent mean/std.
     */
    static LatentScale latentScale(ModelDirectory dir) {
        return switch (dir.family()) {
            case LINUM -> {
                try (Weights w = Weights.open(dir.ditWeights())) {
                    String patch = "model.patch_embedding.weight";
                    int channels = w.info(patch).map(i -> (int) i.shape()[1]).orElseThrow(() -> new ModelLoadException(
                            w.source() + ": missing tensor " + patch + ", which every Linum DiT checkpoint has"));
                    yield LatentScale.fromDit(w, channels);
                }
            }
            case WAN -> {
                LatentScale fromConfig = dir.vaeSettings() == null ? null
                        : LatentScale.fromConfig(dir.vaeSettings(), String.valueOf(dir.vaeConfig()));
                yield fromConfig != null ? fromConfig : LatentScale.wan21();
            }
        };
    }
}
