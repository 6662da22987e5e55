package dev.zoetrope.models.dit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;

/** DiT checkpoints in any key layout: random ones, and conversion between layouts. */
public final class DitCheckpoints {
    private DitCheckpoints() {}

    /**
     * Writes a random checkpoint of config {@code c} in {@code layout} (Linum's also gets the
     * {@code video_data_scale}/{@code video_data_bias} buffers), atomically.
     */
    public static void writeRandom(Path file, DitConfig c, DitKeyLayout layout, DType dtype, long seed) throws IOException {
        try (DiffusionTransformer model = DiffusionTransformer.random(c, dtype, seed, Attention.Options.defaults());
             PointerScope scope = new PointerScope()) {
            Map<String, Tensor> buffers = new HashMap<>();
            if (layout == DitKeyLayout.LINUM) {
                buffers.put("video_data_scale", torch.rand(c.inDim()).add(Ops.scalar(0.5)));
                buffers.put("video_data_bias", torch.randn(c.inDim()).mul(Ops.scalar(0.1)));
            }
            model.params().save(file, layout, buffers);
        }
    }

    /**
     * Rewrites the DiT checkpoint {@code in} (any layout, under any wrapper prefix) into {@code layout}, atomically.
     * Tensors other than the DiT's (such as Linum's latent buffers) are copied unchanged.
     */
    public static void relayout(Path in, Path out, DitKeyLayout layout) throws IOException {
        Engine.init();
        try (Weights w = Weights.open(in); PointerScope scope = new PointerScope()) {
            DitKeyLayout.Detected found = DitKeyLayout.find(w);
            KeyLayout from = found.keys();
            Map<String, String> fileToModel = new TreeMap<>();
            for (Params.Declared d : DiffusionTransformer.declared(everyTensor(w, found.layout().family(), from)))
                fileToModel.put(from.fileKey(d.key()), d.key());
            Map<String, Tensor> tensors = new TreeMap<>();
            for (String name : w.names()) {
                String modelKey = fileToModel.get(name);
                tensors.put(modelKey == null ? name : layout.fileKey(modelKey), w.load(name));
            }
            SafetensorsWriter.write(out, tensors, Map.of("format", "pt"));
        }
    }

    /**
     * A Diffusers {@code transformer/config.json}: {@code WanTransformer3DModel}'s own fields (so Diffusers reads the
     * folder), then this project's for what Diffusers does not record (text_len, the two eps, bias flags), which
     * Diffusers ignores. {@link DitConfig#withOverrides} reads it back to {@code c}.
     */
    public static ObjectNode diffusersConfig(DitConfig c) {
        ObjectNode n = Json.PLAIN.createObjectNode();
        n.put("_class_name", "WanTransformer3DModel");
        n.putArray("patch_size").add(c.patchSize().t()).add(c.patchSize().h()).add(c.patchSize().w());
        n.put("num_attention_heads", c.numHeads()).put("attention_head_dim", c.headDim())
                .put("in_channels", c.inDim()).put("out_channels", c.outDim()).put("text_dim", c.textDim())
                .put("freq_dim", c.freqDim()).put("ffn_dim", c.ffnDim()).put("num_layers", c.numLayers())
                .put("cross_attn_norm", c.crossAttnNorm()).put("eps", c.rmsNormEps());
        if (c.qkNorm()) n.put("qk_norm", "rms_norm_across_heads");
        else n.putNull("qk_norm");
        ObjectNode ours = Json.PLAIN.valueToTree(c.toJson());
        // spelled the Diffusers way above
        ours.remove(List.of("num_heads", "in_dim", "out_dim", "qk_norm", "patch_size", "text_dim", "freq_dim", "ffn_dim",
                "num_layers", "cross_attn_norm"));
        n.setAll(ours);
        return n;
    }

    /** A config with as many blocks as {@code w} and every optional tensor, so its declarations name every key. */
    private static DitConfig everyTensor(Weights w, ModelFamily family, KeyLayout layout) {
        int layers = 0;
        while (w.contains(layout.fileKey("blocks." + layers + ".modulation"))) layers++;
        return new DitConfig(family, 64, 64, 1, Math.max(1, layers), 2, 1, 1, 1, 1,
                new DitConfig.PatchSize(1, 1, 1), 1e-6, 1e-6, true, true, true, true, true, true);
    }
}
