package dev.zoetrope.models.dit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.Adapters;
import dev.zoetrope.models.nn.LowRank;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.nn.Ops;

/**
 * LoRA adapters for the DiT, in the forms people share them, merged into the weights as they load:
 * {@code W += strength · scale · up·down}.
 * <ul>
 *   <li>kohya / musubi-tuner: {@code M.lora_down.weight} [r, in], {@code M.lora_up.weight} [out, r], optional
 *       {@code M.alpha} (scale alpha / r, else 1); module names dotted or underscored ({@code lora_unet_blocks_0_…});</li>
 *   <li>PEFT / Diffusers: {@code M.lora_A.weight}, {@code M.lora_B.weight} (also {@code .lora_A.default.weight}), scale
 *       from an {@code M.alpha} tensor or the metadata's {@code lora_alpha}, else 1;</li>
 * </ul>
 * with the prefixes {@code diffusion_model.}, {@code model.diffusion_model.}, {@code transformer.},
 * {@code base_model.model.} or {@code lora_unet_}, over the original Wan names ({@code blocks.0.self_attn.q}) or the
 * Diffusers ones ({@code blocks.0.attn1.to_q}).
 *
 * <p>Two ways to apply them ({@link Stack}): merged into the weights as they load ({@code generate}: nothing extra while
 * sampling), or on the fly as {@link LowRank} additions to the Linears of a model built over shared base weights
 * ({@link DiffusionTransformer#adapted}: the service's per-request adapters, and training). {@link #write} saves trained
 * adapters in the kohya or PEFT form.
 *
 * @param file     the adapter (safetensors, or a {@code .pth} read without executing it)
 * @param strength its weight; 1 as trained
 */
public record Lora(Path file, double strength) {
    public Lora {
        if (!(Double.isFinite(strength))) throw new InvalidRequestException("LoRA strength must be a number, got " + strength);
    }

    /** {@code FILE} or {@code FILE:STRENGTH} ({@code --lora}). */
    public static Lora parse(String spec) {
        String s = spec == null ? "" : spec.strip();
        int colon = s.lastIndexOf(':');
        double strength = 1.0;
        if (colon > 0) {
            try {
                strength = Double.parseDouble(s.substring(colon + 1));
                s = s.substring(0, colon);
            } catch (NumberFormatException e) {
                // a colon inside the path: no strength given
            }
        }
        Path file = Path.of(s);
        if (s.isEmpty() || !Files.isRegularFile(file))
            throw new InvalidRequestException("--lora " + spec + ": no such file (give FILE or FILE:STRENGTH)");
        return new Lora(file, strength);
    }

    /** The file forms {@link #write} saves: both load back here, and each is what its community's tools read. */
    public enum Form {
        /** kohya / musubi-tuner: {@code diffusion_model.M.lora_down.weight}, {@code .lora_up.weight}, {@code .alpha}, Wan names. */
        KOHYA,
        /** PEFT / Diffusers: {@code transformer.M.lora_A.weight}, {@code .lora_B.weight}, Diffusers names, alpha in the metadata. */
        PEFT;

        public static Form parse(String s) {
            for (Form f : values()) if (f.name().equalsIgnoreCase(s == null ? "" : s.strip())) return f;
            throw new InvalidRequestException("unknown LoRA form '" + s + "': use kohya or peft");
        }
    }

    /**
     * Writes trained adapters, by the model key of each Linear ({@code blocks.0.self_attn.q}), as a safetensors file of
     * {@code form}, atomically. Their factors must be {@code alpha / rank}: the file then means the same at strength 1.
     *
     * @param metadata more {@code __metadata__} entries (what trained it)
     */
    public static void write(Path file, Map<String, LowRank> layers, double alpha, Form form, Map<String, String> metadata)
            throws java.io.IOException {
        if (layers.isEmpty()) throw new InvalidRequestException("no adapter layers to write");
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        long rank = -1;
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            for (Map.Entry<String, LowRank> e : layers.entrySet()) {
                LowRank l = e.getValue();
                if (Math.abs(l.factor() - alpha / l.rank()) > 1e-9 * Math.max(1, Math.abs(l.factor())))
                    throw new IllegalArgumentException(e.getKey() + ": factor " + l.factor() + " is not alpha / rank = " + alpha + " / " + l.rank());
                if (form == Form.PEFT && rank >= 0 && rank != l.rank())
                    throw new IllegalArgumentException("the PEFT form has one rank for every layer; " + e.getKey() + " has " + l.rank()
                            + ", others " + rank);
                rank = l.rank();
                Tensor down = Ops.toHost(l.down().detach()).to(ScalarType.Float), up = Ops.toHost(l.up().detach()).to(ScalarType.Float);
                switch (form) {
                    case KOHYA -> {
                        String m = "diffusion_model." + e.getKey();
                        out.put(m + ".lora_down.weight", down);
                        out.put(m + ".lora_up.weight", up);
                        out.put(m + ".alpha", Tensors.fromFloats(new float[]{(float) alpha}, new long[0]));
                    }
                    case PEFT -> {
                        String d = DitKeyLayout.WAN_DIFFUSERS.fileKey(e.getKey() + ".weight");
                        String m = "transformer." + d.substring(0, d.length() - ".weight".length());
                        out.put(m + ".lora_A.weight", down);
                        out.put(m + ".lora_B.weight", up);
                    }
                }
            }
            if (form == Form.PEFT) {
                meta.put("lora_alpha", Double.toString(alpha));
                meta.put("r", Long.toString(rank));
            }
            meta.put("format", "pt");
            dev.zoetrope.core.safetensors.SafetensorsWriter.write(file, out, meta);
        }
    }

    private static final List<String> PREFIXES = List.of("model.diffusion_model.", "diffusion_model.", "base_model.model.",
            "transformer.", "lora_unet_");

    /** One adapted module: its down and up matrices (float32) and the factor strength · scale. */
    record Module(String name, Tensor down, Tensor up, double factor, Path file) {}

    /**
     * Several adapters read and matched against the DiT's weights: {@link #adjust} adds their deltas to each weight as
     * it loads (merged), {@link #of} gives them to each Linear as it is built (on the fly); {@link #requireAllMatched}
     * names the modules no weight took.
     */
    public static final class Stack implements Adapters, AutoCloseable {
        private final Map<String, List<Module>> byName = new LinkedHashMap<>();
        private final Set<String> matched = new LinkedHashSet<>();
        private final boolean lenient;

        /** Reads {@code adapters}; a key in no known form is refused, naming it (unless {@code lenient}). */
        public Stack(List<Lora> adapters, boolean lenient) {
            this.lenient = lenient;
            for (Lora a : adapters) read(a);
        }

        private void read(Lora a) {
            try (Weights w = Weights.open(a.file())) {
                Map<String, String> down = new LinkedHashMap<>(), up = new LinkedHashMap<>(), alpha = new LinkedHashMap<>();
                List<String> unknown = new ArrayList<>();
                for (String key : w.names()) {
                    String k = key;
                    for (String p : PREFIXES) if (k.startsWith(p)) { k = k.substring(p.length()); break; }
                    String[][] forms = {{".lora_down.weight", "down"}, {".lora_up.weight", "up"}, {".lora_A.weight", "down"},
                            {".lora_B.weight", "up"}, {".lora_A.default.weight", "down"}, {".lora_B.default.weight", "up"},
                            {".alpha", "alpha"}};
                    String part = null;
                    for (String[] f : forms)
                        if (k.endsWith(f[0])) {
                            k = k.substring(0, k.length() - f[0].length());
                            part = f[1];
                            break;
                        }
                    if (part == null) unknown.add(key);
                    else (part.equals("down") ? down : part.equals("up") ? up : alpha).put(k, key);
                }
                if (!unknown.isEmpty() && !lenient)
                    throw new ModelLoadException(a.file() + ": " + unknown.size() + " keys in no LoRA form this loader knows ("
                            + String.join(", ", unknown.subList(0, Math.min(8, unknown.size()))) + (unknown.size() > 8 ? ", ..." : "")
                            + "); expected M.lora_down/lora_up(.weight), M.lora_A/lora_B(.weight), M.alpha (--lora-lenient skips them)");
                double metadataAlpha = metadataAlpha(w);
                for (String module : down.keySet()) {
                    if (!up.containsKey(module))
                        throw new ModelLoadException(a.file() + ": " + down.get(module) + " has no matching up/B matrix");
                    Tensor d = Scopes.pin(w.load(down.get(module), DType.F32)), u = Scopes.pin(w.load(up.get(module), DType.F32));
                    long rank = d.size(0);
                    if (d.dim() != 2 || u.dim() != 2 || u.size(1) != rank)
                        throw new ModelLoadException(a.file() + ": " + module + " has down " + shape(w, down.get(module)) + " and up "
                                + shape(w, up.get(module)) + "; expected [r, in] and [out, r]");
                    double alphaValue = alpha.containsKey(module) ? Scopes.value(() -> w.load(alpha.get(module), DType.F64).item_double())
                            : metadataAlpha;
                    double scale = Double.isNaN(alphaValue) ? 1.0 : alphaValue / rank;
                    byName.computeIfAbsent(module, m -> new ArrayList<>()).add(new Module(module, d, u, a.strength() * scale, a.file()));
                }
                for (String module : up.keySet())
                    if (!down.containsKey(module))
                        throw new ModelLoadException(a.file() + ": " + up.get(module) + " has no matching down/A matrix");
            }
        }

        private static String shape(Weights w, String key) {
            return java.util.Arrays.toString(w.info(key).map(TensorInfo::shape).orElse(new long[0]));
        }

        /** PEFT's {@code lora_alpha} in the safetensors metadata, or NaN. */
        private static double metadataAlpha(Weights w) {
            String v = w.metadata().get("lora_alpha");
            if (v == null) return Double.NaN;
            try {
                return Double.parseDouble(v.strip());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }

        /**
         * {@code weight} (model key {@code key}) with every adapter of its module added, in float32, back in its dtype;
         * itself when no adapter names it.
         */
        public Tensor adjust(String key, Tensor weight) {
            if (!key.endsWith(".weight") || weight.dim() != 2) return weight;
            List<Module> found = matching(key.substring(0, key.length() - ".weight".length()), weight);
            if (found.isEmpty()) return weight;
            Tensor merged = weight.to(ScalarType.Float);
            for (Module m : found)
                merged = merged.add(Ops.toDeviceOf(m.up(), weight).matmul(Ops.toDeviceOf(m.down(), weight)).mul(Ops.scalar(m.factor())));
            return merged.to(weight.scalar_type());
        }

        /** The adapters of Linear {@code module} as float32 low-rank additions on its weight's device (on the fly). */
        @Override
        public List<LowRank> of(String module, Tensor weight) {
            List<LowRank> out = new ArrayList<>();
            for (Module m : matching(module, weight))
                out.add(new LowRank(m.down(), m.up(), m.factor()).beside(weight));
            return out;
        }

        /** The adapters of {@code module} (model key), shape-checked against its weight, and noted as matched. */
        private synchronized List<Module> matching(String module, Tensor weight) {
            for (String name : names(module)) {
                List<Module> found = byName.get(name);
                if (found == null) continue;
                matched.add(name);
                for (Module m : found)
                    if (m.up().size(0) != weight.size(0) || m.down().size(1) != weight.size(1))
                        throw new ModelLoadException(m.file() + ": " + m.name() + " is [" + m.up().size(0) + " x " + m.down().size(1)
                                + "], the DiT's " + module + ".weight is " + Tensors.shapeString(Tensors.shape(weight)));
                return found;
            }
            return List.of();
        }

        /** The names an adapter may give module {@code module}: Wan's, Diffusers', each dotted or underscored. */
        private static List<String> names(String module) {
            String diffusers = DitKeyLayout.WAN_DIFFUSERS.fileKey(module + ".weight");
            diffusers = diffusers.substring(0, diffusers.length() - ".weight".length());
            return List.of(module, diffusers, module.replace('.', '_'), diffusers.replace('.', '_'));
        }

        /** Refuses adapter modules that matched no DiT weight, naming them (unless lenient). */
        public void requireAllMatched() {
            List<String> unmatched = byName.keySet().stream().filter(n -> !matched.contains(n)).toList();
            if (!unmatched.isEmpty() && !lenient)
                throw new ModelLoadException(unmatched.size() + " LoRA modules match no weight of this DiT: "
                        + String.join(", ", unmatched.subList(0, Math.min(8, unmatched.size()))) + (unmatched.size() > 8 ? ", ..." : "")
                        + " (another model's adapter? --lora-lenient skips them)");
        }

        /** How many adapter modules were merged. */
        public int matched() {
            return matched.size();
        }

        @Override
        public void close() {
            for (List<Module> ms : byName.values())
                for (Module m : ms) {
                    Scopes.release(m.down());
                    Scopes.release(m.up());
                }
            byName.clear();
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d LoRA modules", byName.size());
        }
    }
}
