package dev.zoetrope.models.dit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;

/** The tensor inventory of a DiT config, random checkpoints, and conversion between key layouts. */
public final class DitCheckpoints {
    private DitCheckpoints() {}

    /** Every tensor a model of config {@code c} has, by model key (original Wan names), with its shape. */
    public static Map<String, long[]> shapes(DitConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long d = c.dim(), f = c.ffnDim();
        DitConfig.PatchSize ps = c.patchSize();
        s.put("patch_embedding.weight", new long[]{d, c.inDim(), ps.t(), ps.h(), ps.w()});
        s.put("patch_embedding.bias", new long[]{d});
        linear(s, "time_embedding.0", d, c.freqDim(), true);
        linear(s, "time_embedding.2", d, d, true);
        linear(s, "time_projection.1", 6 * d, d, true);
        linear(s, "text_embedding.0", d, c.textDim(), c.textEmbeddingBias());
        linear(s, "text_embedding.2", d, d, c.textEmbeddingBias());
        for (int i = 0; i < c.numLayers(); i++) {
            String b = "blocks." + i + ".";
            if (c.affineModulatedNorms()) {
                linearLike(s, b + "norm1", d);
                linearLike(s, b + "norm2", d);
            }
            if (c.crossAttnNorm()) linearLike(s, b + "norm3", d);
            s.put(b + "modulation", new long[]{1, 6, d});
            for (String p : new String[]{"q", "k", "v", "o"}) linear(s, b + "self_attn." + p, d, d, true);
            linear(s, b + "cross_attn.q", d, d, true);
            linear(s, b + "cross_attn.k", d, d, c.crossAttnKvBias());
            linear(s, b + "cross_attn.v", d, d, c.crossAttnKvBias());
            linear(s, b + "cross_attn.o", d, d, true);
            if (c.qkNorm())
                for (String a : new String[]{"self_attn", "cross_attn"}) {
                    s.put(b + a + ".norm_q.weight", new long[]{d});
                    s.put(b + a + ".norm_k.weight", new long[]{d});
                }
            linear(s, b + "ffn.0", f, d, true);
            linear(s, b + "ffn.2", d, f, true);
        }
        if (c.affineModulatedNorms()) linearLike(s, "head.norm", d);
        linear(s, "head.head", (long) c.outDim() * ps.volume(), d, true);
        s.put("head.modulation", new long[]{1, 2, d});
        return s;
    }

    private static void linear(Map<String, long[]> s, String name, long out, long in, boolean bias) {
        s.put(name + ".weight", new long[]{out, in});
        if (bias) s.put(name + ".bias", new long[]{out});
    }

    private static void linearLike(Map<String, long[]> s, String name, long dim) {
        s.put(name + ".weight", new long[]{dim});
        s.put(name + ".bias", new long[]{dim});
    }

    /**
     * Random weights for {@code c} in {@code dtype}, handed one at a time to {@code sink} (which must keep
     * what it needs): matrices and biases normal with std 0.02, norm gains 1 + N(0, 0.1²).
     */
    public static void randomTensors(DitConfig c, DType dtype, long seed, BiConsumer<String, Tensor> sink) {
        Engine.init();
        torch.manual_seed(seed);
        for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
            try (PointerScope scope = new PointerScope()) {
                Tensor r = torch.randn(e.getValue());
                boolean gain = e.getValue().length == 1 && e.getKey().endsWith(".weight");
                Tensor t = gain ? r.mul(new Scalar(0.1)).add(new Scalar(1.0)) : r.mul(new Scalar(0.02));
                sink.accept(e.getKey(), t.to(dtype.scalarType()));
            }
        }
    }

    /**
     * Writes a random checkpoint of config {@code c} in {@code layout} (Linum's also gets the
     * {@code video_data_scale}/{@code video_data_bias} buffers), atomically.
     */
    public static void writeRandom(Path file, DitConfig c, DitKeyLayout layout, DType dtype, long seed) throws IOException {
        try (PointerScope scope = new PointerScope()) {
            Map<String, Tensor> out = new TreeMap<>();
            randomTensors(c, dtype, seed, (k, t) -> {
                t.retainReference();
                out.put(layout.fileKey(k), t);
            });
            if (layout == DitKeyLayout.LINUM) {
                out.put("video_data_scale", torch.rand(c.inDim()).add(new Scalar(0.5)));
                out.put("video_data_bias", torch.randn(c.inDim()).mul(new Scalar(0.1)));
            }
            try {
                SafetensorsWriter.write(file, out, Map.of("format", "pt"));
            } finally {
                for (Tensor t : out.values()) t.releaseReference();
            }
        }
    }

    /**
     * Rewrites the DiT checkpoint {@code in} (any layout) into {@code layout}, atomically. Tensors other than
     * the DiT's (such as Linum's latent buffers) are copied unchanged.
     */
    public static void relayout(Path in, Path out, DitKeyLayout layout) throws IOException {
        Engine.init();
        try (Weights w = Weights.open(in); PointerScope scope = new PointerScope()) {
            DitKeyLayout from = DitKeyLayout.detect(w);
            Map<String, String> fileToModel = new TreeMap<>();
            for (String modelKey : allModelKeys(w, from)) fileToModel.put(from.fileKey(modelKey), modelKey);
            Map<String, Tensor> tensors = new TreeMap<>();
            for (String name : w.names()) {
                String modelKey = fileToModel.get(name);
                tensors.put(modelKey == null ? name : layout.fileKey(modelKey), w.load(name));
            }
            SafetensorsWriter.write(out, tensors, Map.of("format", "pt"));
        }
    }

    /** The model keys present in {@code w}, found by mapping every candidate key of a generous config. */
    private static Iterable<String> allModelKeys(Weights w, DitKeyLayout layout) {
        int layers = 0;
        while (w.contains(layout.fileKey("blocks." + layers + ".modulation"))) layers++;
        DitConfig every = new DitConfig(layout.family(), 64, 64, 1, Math.max(1, layers), 2, 1, 1, 1, 1,
                new DitConfig.PatchSize(1, 1, 1), 1e-6, 1e-6, true, true, true, true, true, true);
        return shapes(every).keySet().stream().filter(k -> w.contains(layout.fileKey(k))).toList();
    }
}
