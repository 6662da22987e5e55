package dev.zoetrope.models.vae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.models.nn.Params;

/** Every tensor a Wan VAE config needs, random weights, and writing checkpoints in either layout. */
public final class VaeCheckpoints {
    private VaeCheckpoints() {}

    /** Original key → shape, for every parameter of {@code c}. */
    public static Map<String, long[]> shapes(WanVaeConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        int z = c.zDim();
        int[] enc = c.encoderDims();
        conv3(m, "encoder.conv1", 3, enc[0], 3);
        int idx = 0;
        double scale = 1.0;
        int levels = c.dimMult().size();
        for (int i = 0; i < levels; i++) {
            int in = enc[i], out = enc[i + 1];
            for (int r = 0; r < c.numResBlocks(); r++) {
                residual(m, "encoder.downsamples." + idx++, in, out);
                if (c.attnScales().contains(scale)) attention(m, "encoder.downsamples." + idx++, out);
                in = out;
            }
            if (i != levels - 1) {
                String k = "encoder.downsamples." + idx++;
                conv2(m, k + ".resample.1", out, out, 3);
                if (c.temperalDownsample().get(i)) time(m, k + ".time_conv", out, out);
                scale /= 2;
            }
        }
        int top = enc[levels];
        middle(m, "encoder.middle", top);
        gamma(m, "encoder.head.0", top);
        conv3(m, "encoder.head.2", top, 2 * z, 3);
        conv3(m, "conv1", 2 * z, 2 * z, 1);
        conv3(m, "conv2", z, z, 1);
        int[] dec = c.decoderDims();
        conv3(m, "decoder.conv1", z, dec[0], 3);
        middle(m, "decoder.middle", dec[0]);
        idx = 0;
        scale = 1.0 / (1 << (levels - 2));
        List<Boolean> temporal = c.temperalUpsample();
        for (int i = 0; i < levels; i++) {
            int in = i == 0 ? dec[i] : dec[i] / 2, out = dec[i + 1];
            for (int r = 0; r < c.numResBlocks() + 1; r++) {
                residual(m, "decoder.upsamples." + idx++, in, out);
                if (c.attnScales().contains(scale)) attention(m, "decoder.upsamples." + idx++, out);
                in = out;
            }
            if (i != levels - 1) {
                String k = "decoder.upsamples." + idx++;
                conv2(m, k + ".resample.1", out, out / 2, 3);
                if (temporal.get(i)) time(m, k + ".time_conv", out, 2 * out);
                scale *= 2;
            }
        }
        gamma(m, "decoder.head.0", dec[levels]);
        conv3(m, "decoder.head.2", dec[levels], 3, 3);
        return m;
    }

    /** Random float32 weights: convs N(0, 1/fan_in), biases 0, norm gains 1. */
    public static Params random(WanVaeConfig c, long seed) {
        Engine.init();
        torch.manual_seed(seed);
        Params p = Params.empty();
        for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
            long[] s = e.getValue();
            try (PointerScope scope = new PointerScope()) {
                Tensor t;
                if (e.getKey().endsWith(".gamma")) t = torch.ones(s);
                else if (e.getKey().endsWith(".bias")) t = torch.zeros(s);
                else {
                    long fanIn = 1;
                    for (int i = 1; i < s.length; i++) fanIn *= s[i];
                    t = torch.randn(s).mul(new Scalar(1.0 / Math.sqrt(fanIn)));
                }
                p.put(e.getKey(), t);
            }
        }
        return p;
    }

    /** Writes {@code params} (original keys) as one safetensors file in {@code layout}'s key names. */
    public static void write(Path file, Params params, WanVaeConfig c, VaeLayout layout) throws IOException {
        UnaryOperator<String> map = layout.keyMap(c);
        Map<String, Tensor> out = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : params.loaded().entrySet()) out.put(map.apply(e.getKey()), e.getValue());
        SafetensorsWriter.write(file, out, Map.of("format", "pt"));
    }

    /**
     * Writes a Diffusers {@code vae/} folder: {@code diffusion_pytorch_model.safetensors} and a
     * {@code config.json} with the architecture and Wan's latent statistics.
     */
    public static void writeDiffusers(Path dir, Params params, WanVaeConfig c, LatentScale norm) throws IOException {
        if (norm.mean() == null) throw new IllegalArgumentException("a Diffusers VAE config needs a latent scale built from mean/std");
        Files.createDirectories(dir);
        write(dir.resolve("diffusion_pytorch_model.safetensors"), params, c, VaeLayout.DIFFUSERS);
        ObjectNode n = Json.PLAIN.createObjectNode();
        n.put("_class_name", "AutoencoderKLWan");
        n.put("base_dim", c.baseDim());
        n.put("z_dim", c.zDim());
        c.dimMult().forEach(n.putArray("dim_mult")::add);
        n.put("num_res_blocks", c.numResBlocks());
        c.attnScales().forEach(n.putArray("attn_scales")::add);
        c.temperalDownsample().forEach(n.putArray("temperal_downsample")::add);
        n.put("dropout", 0.0);
        var mean = n.putArray("latents_mean");
        for (float v : norm.mean()) mean.add(v);
        var std = n.putArray("latents_std");
        for (float v : norm.std()) std.add(v);
        AtomicFiles.writeString(dir.resolve("config.json"), Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
    }

    private static void conv3(Map<String, long[]> m, String k, int in, int out, int kernel) {
        m.put(k + ".weight", new long[]{out, in, kernel, kernel, kernel});
        m.put(k + ".bias", new long[]{out});
    }

    private static void conv2(Map<String, long[]> m, String k, int in, int out, int kernel) {
        m.put(k + ".weight", new long[]{out, in, kernel, kernel});
        m.put(k + ".bias", new long[]{out});
    }

    private static void time(Map<String, long[]> m, String k, int in, int out) {
        m.put(k + ".weight", new long[]{out, in, 3, 1, 1});
        m.put(k + ".bias", new long[]{out});
    }

    private static void gamma(Map<String, long[]> m, String k, int dim) {
        m.put(k + ".gamma", new long[]{dim, 1, 1, 1});
    }

    private static void residual(Map<String, long[]> m, String k, int in, int out) {
        gamma(m, k + ".residual.0", in);
        conv3(m, k + ".residual.2", in, out, 3);
        gamma(m, k + ".residual.3", out);
        conv3(m, k + ".residual.6", out, out, 3);
        if (in != out) conv3(m, k + ".shortcut", in, out, 1);
    }

    private static void attention(Map<String, long[]> m, String k, int dim) {
        m.put(k + ".norm.gamma", new long[]{dim, 1, 1});
        conv2(m, k + ".to_qkv", dim, 3 * dim, 1);
        conv2(m, k + ".proj", dim, dim, 1);
    }

    private static void middle(Map<String, long[]> m, String k, int dim) {
        residual(m, k + ".0", dim, dim);
        attention(m, k + ".1", dim);
        residual(m, k + ".2", dim, dim);
    }
}
