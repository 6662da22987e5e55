package dev.zoetrope.models.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.core.safetensors.SafetensorsStreamWriter;
import dev.zoetrope.core.safetensors.ShardedSafetensorsWriter;
import dev.zoetrope.models.dit.DitCheckpoints;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.dit.DitKeyLayout;
import dev.zoetrope.models.nn.Init;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.models.vae.VaeCheckpoints;
import dev.zoetrope.models.vae.VaeLayout;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;

/**
 * Whole model directories with random weights, in every layout {@link ModelDirectory} reads: for end-to-end
 * tests and smoke runs of the pipeline at any dims (real dims with few blocks included) without downloading a
 * checkpoint. The same seed gives the same weights in every layout, so layouts can be compared output for output.
 *
 * <p>The text encoder has the T5 architecture at the DiT's text width ({@code d_model = text_dim}), since the
 * DiT consumes T5 states directly; its vocabulary is the given tokenizer's.
 */
public final class RandomCheckpoints {
    /**
     * @param dit the DiT config (its family decides Linum or Wan conventions)
     * @param vae the VAE config
     * @param textLayers T5 blocks; the T5 width is {@code dit.textDim()}, with {@code textHeads} heads of 64 (or
     *                   fewer, smaller heads for narrow widths) and a feed-forward of {@code textFf}
     * @param tokenizer a {@code spiece.model} or {@code tokenizer.json} to ship; its vocabulary sizes the embedding
     */
    public record Spec(DitConfig dit, WanVaeConfig vae, int textLayers, int textHeads, int textFf, Path tokenizer,
                       int tokenizerVocab, DType dtype, long seed) {}

    /** Wider than training's 0.02, so a random encoder of a few narrow blocks still carries the prompt. */
    private static final double TEXT_INIT_STD = 0.05;

    private RandomCheckpoints() {}

    /** Linum layout ({@code resolution} names the DiT file); with {@code zoetropeJson} also the zoetrope configs. */
    public static void linum(Path dir, Spec spec, String resolution, Map<String, Object> zoetropeJson) throws IOException {
        Engine.init();
        Files.createDirectories(dir.resolve("dit"));
        DitCheckpoints.writeRandom(dir.resolve("dit/" + resolution + ".safetensors"), spec.dit(), DitKeyLayout.LINUM,
                spec.dtype(), spec.seed());
        writeVae(dir.resolve("vae/vae.safetensors"), spec, VaeLayout.ORIGINAL);
        writeText(dir.resolve("t5/text_encoder"), spec, "t5");
        copyTokenizer(spec.tokenizer(), dir.resolve("t5/tokenizer"));
        if (zoetropeJson != null) {
            writeJson(dir.resolve("dit/config.json"), spec.dit().toJson());
            writeJson(dir.resolve(ModelDirectory.ZOETROPE_CONFIG), zoetropeJson);
        }
    }

    /** Wan 2.1 as released (with the VAE and umT5 already converted to safetensors). */
    public static void wanOriginal(Path dir, Spec spec) throws IOException {
        Engine.init();
        Files.createDirectories(dir);
        DitCheckpoints.writeRandom(dir.resolve("diffusion_pytorch_model.safetensors"), spec.dit(), DitKeyLayout.WAN_ORIGINAL,
                spec.dtype(), spec.seed());
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("_class_name", "WanModel");
        cfg.put("model_type", "t2v");
        cfg.putAll(spec.dit().toJson());
        writeJson(dir.resolve("config.json"), cfg);
        writeVae(dir.resolve("Wan2.1_VAE.safetensors"), spec, VaeLayout.ORIGINAL);
        writeText(dir.resolve("umt5-xxl"), spec, "umt5");
        copyTokenizer(spec.tokenizer(), dir.resolve("google/umt5-xxl"));
    }

    /** Wan 2.1 in the Diffusers layout: the same weights under Diffusers names. */
    public static void wanDiffusers(Path dir, Spec spec) throws IOException {
        Engine.init();
        Files.createDirectories(dir.resolve("transformer"));
        writeJson(dir.resolve("model_index.json"), Map.of("_class_name", "WanPipeline", "_diffusers_version", "0.33.0"));
        DitCheckpoints.writeRandom(dir.resolve("transformer/diffusion_pytorch_model.safetensors"), spec.dit(),
                DitKeyLayout.WAN_DIFFUSERS, spec.dtype(), spec.seed());
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("_class_name", "WanTransformer3DModel");
        cfg.putAll(spec.dit().toJson());
        writeJson(dir.resolve("transformer/config.json"), cfg);
        try (WanVae vae = WanVae.random(spec.vae(), spec.seed())) {
            VaeCheckpoints.writeDiffusers(dir.resolve("vae"), vae.params(), spec.vae(), LatentScale.wan21());
        }
        writeText(dir.resolve("text_encoder"), spec, "umt5");
        copyTokenizer(spec.tokenizer(), dir.resolve("tokenizer"));
    }

    private static void writeVae(Path file, Spec spec, VaeLayout layout) throws IOException {
        Files.createDirectories(file.getParent());
        try (WanVae vae = WanVae.random(spec.vae(), spec.seed())) {
            VaeCheckpoints.write(file, vae.params(), spec.vae(), layout);
        }
    }

    /** A Hugging Face T5 (or umT5) encoder directory: config.json + model.safetensors with the HF key names. */
    private static void writeText(Path dir, Spec spec, String modelType) throws IOException {
        Files.createDirectories(dir);
        int d = spec.dit().textDim();
        int heads = Math.max(1, Math.min(spec.textHeads(), d / 8));
        int dKv = Math.max(1, Math.min(64, d / heads));
        boolean perLayer = modelType.equals("umt5");
        T5Config c = new T5Config(d, dKv, spec.textFf(), heads, spec.textLayers(), 32, 128, "gated-gelu", 1e-6,
                spec.tokenizerVocab(), perLayer);
        writeJson(dir.resolve("config.json"), c.toHuggingFace());
        // tensor by tensor, in declaration order (the draws of T5Encoder.random): an XXL encoder is 22.7 GB in f32
        List<Params.Declared> declared = T5Encoder.declared(c);
        List<SafetensorsStreamWriter.Planned> plan = declared.stream()
                .map(p -> new SafetensorsStreamWriter.Planned(p.key(), spec.dtype(), p.shape())).toList();
        Init init = Init.t5(TEXT_INIT_STD);
        torch.manual_seed(spec.seed() + 1);
        try (ShardedSafetensorsWriter out = ShardedSafetensorsWriter.open(dir, "model", plan, TEXT_SHARD_BYTES, Map.of("format", "pt"))) {
            for (Params.Declared p : declared)
                try (PointerScope scope = new PointerScope()) {
                    out.write(p.key(), init.draw(p.role(), p.shape()).to(spec.dtype().scalarType()));
                }
            out.commit();
        }
    }

    /** Shards of at most 5 GB, as Hugging Face writes big encoders. */
    private static final long TEXT_SHARD_BYTES = 5_000_000_000L;

    private static void copyTokenizer(Path tokenizer, Path dir) throws IOException {
        Files.createDirectories(dir);
        String name = tokenizer.getFileName().toString().endsWith(".json") ? "tokenizer.json" : "spiece.model";
        Files.copy(tokenizer, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeJson(Path file, Object value) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.writeString(file, Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n");
    }
}
