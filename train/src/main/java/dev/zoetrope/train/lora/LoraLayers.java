package dev.zoetrope.train.lora;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.Adapters;
import dev.zoetrope.models.nn.LowRank;
import dev.zoetrope.models.nn.Ops;

/**
 * The adapters a LoRA run trains: one rank-r pair per targeted Linear of the DiT's blocks, made as the adapted model is
 * built ({@code DiffusionTransformer.adapted}), in its declaration order. As in the LoRA paper, {@code down} starts
 * uniform in ±1/√in (PyTorch's default Linear init) and {@code up} at zero, so training starts exactly at the base
 * model; the factor is alpha / r. All float32 and trainable, on the base weights' device, whatever their dtype.
 */
public final class LoraLayers implements Adapters, AutoCloseable {
    /**
     * @param rank    r
     * @param alpha   the scale numerator: the adapter adds alpha / r · up·down
     * @param targets which Linears of each block: suffixes of their names ({@code self_attn.q}, {@code cross_attn.v},
     *                {@code ffn.0}, ...)
     */
    public record Spec(int rank, double alpha, List<String> targets) {
        public Spec {
            if (rank < 1) throw new InvalidRequestException("lora.rank must be ≥ 1, got " + rank);
            if (!(alpha > 0 && Double.isFinite(alpha))) throw new InvalidRequestException("lora.alpha must be a positive number, got " + alpha);
            if (targets == null || targets.isEmpty()) throw new InvalidRequestException("lora.targets must name at least one Linear (e.g. self_attn.q)");
            targets = List.copyOf(targets);
        }

        /** Whether Linear {@code module} (model key) gets an adapter: a block's layer named by a target. */
        public boolean targets(String module) {
            if (!module.startsWith("blocks.")) return false;
            for (String t : targets) if (module.endsWith("." + t)) return true;
            return false;
        }

        public double factor() {
            return alpha / rank;
        }
    }

    /** The names a layer's two matrices have among the run's parameters, as in the kohya form (without its prefix). */
    public static final String DOWN = ".lora_down.weight", UP = ".lora_up.weight";

    private final Spec spec;
    private final Generator rng;
    private final Map<String, LowRank> layers = new LinkedHashMap<>();

    private LoraLayers(Spec spec, long seed) {
        this.spec = spec;
        this.rng = torch.make_generator_cpu(seed);
    }

    /** Fresh adapters, drawn from {@code seed} as the model asks for them. */
    public static LoraLayers fresh(Spec spec, long seed) {
        return new LoraLayers(spec, seed);
    }

    @Override
    public synchronized List<LowRank> of(String module, Tensor weight) {
        if (!spec.targets(module)) return List.of();
        return List.of(layers.computeIfAbsent(module, m -> create(weight)));
    }

    private LowRank create(Tensor weight) {
        long out = weight.size(0), in = weight.size(1);
        double bound = 1.0 / Math.sqrt(in);
        Tensor down = Scopes.pinned(() -> trainable(Ops.toDeviceOf(torch.rand(new long[]{spec.rank(), in}, new GeneratorOptional(rng),
                new TensorOptions(ScalarType.Float)).mul(Ops.scalar(2 * bound)).sub(Ops.scalar(bound)), weight)));
        Tensor up = Scopes.pinned(() -> trainable(Ops.toDeviceOf(torch.zeros(new long[]{out, spec.rank()},
                new TensorOptions(ScalarType.Float)), weight)));
        return new LowRank(down, up, spec.factor());
    }

    private static Tensor trainable(Tensor t) {
        Tensor leaf = t.detach();
        leaf.requires_grad_(true);
        return leaf;
    }

    /** The trainable tensors by name ({@code M.lora_down.weight}, {@code M.lora_up.weight}), in creation order. */
    public synchronized Map<String, Tensor> parameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        layers.forEach((m, l) -> {
            out.put(m + DOWN, l.down());
            out.put(m + UP, l.up());
        });
        return out;
    }

    /** The layers made so far, by module. */
    public synchronized Map<String, LowRank> layers() {
        return Map.copyOf(layers);
    }

    /**
     * The layers held in {@code weights} under {@code prefix} (a checkpoint's, or the trainer's EMA weights), as fixed
     * adapters with {@code spec}'s factor: the model they make is the one the run trained.
     */
    public static Map<String, LowRank> read(Map<String, Tensor> weights, String prefix, Spec spec) {
        Map<String, LowRank> out = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        weights.forEach((k, down) -> {
            if (!k.startsWith(prefix) || !k.endsWith(DOWN)) return;
            String module = k.substring(prefix.length(), k.length() - DOWN.length());
            Tensor up = weights.get(prefix + module + UP);
            if (up == null) missing.add(prefix + module + UP);
            else out.put(module, new LowRank(down.detach(), up.detach(), spec.factor()));
        });
        if (!missing.isEmpty()) throw new InvalidRequestException("adapter weights lack " + missing);
        if (out.isEmpty()) throw new InvalidRequestException("no adapter weights (" + prefix + "*" + DOWN + ") to read");
        return out;
    }

    /** Fixed adapters from {@link #read}: each module's layer, on the base weight's device. */
    public static Adapters fixed(Map<String, LowRank> layers) {
        return (module, weight) -> {
            LowRank l = layers.get(module);
            return l == null ? List.of() : List.of(l.beside(weight));
        };
    }

    @Override
    public synchronized void close() {
        for (LowRank l : layers.values()) {
            Scopes.release(l.down());
            Scopes.release(l.up());
        }
        layers.clear();
    }
}
