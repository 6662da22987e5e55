package dev.zoetrope.models.nn;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;

/**
 * The one way a model's weights become tensors, for the DiT, the VAE and the text encoder alike:
 * <pre>
 *   file ─open→ Weights ─detect→ KeyLayout ─dtype policy→ Params.load ─module tree→ model ─requireAllUsed→ done
 * </pre>
 * Each model supplies a {@link Recipe}: how to recognise its key layout, which dtype to load in, and how to build
 * itself (config included) over the parameters. The loader reads every tensor while the model is built (so a
 * missing or misshapen tensor fails with its name and both shapes), refuses tensors the model did not use, and
 * closes the file: loaded tensors are copies, so a model never holds its checkpoint open.
 */
public final class CheckpointLoader {
    private CheckpointLoader() {}

    /** What is particular to one model. */
    public interface Recipe<M extends AutoCloseable> {
        /** Recognises how {@code weights} names this model's tensors. */
        KeyLayout layout(Weights weights);

        /** The dtype floating tensors are cast to as they are read; null keeps each tensor's stored dtype. */
        DType cast(Weights weights, KeyLayout layout);

        /** Where the tensors go as they are read (null: the CPU). */
        default org.bytedeco.pytorch.Device device() {
            return null;
        }

        /** A tensor (by model key) as read and cast, changed before it is placed: LoRA adapters merge here. */
        default Tensor adjust(String key, Tensor read) {
            return read;
        }

        /** The tensors (by model key) to leave in host memory for the model to stream to the device as it runs. */
        default java.util.function.Predicate<String> keptOnHost() {
            return key -> false;
        }

        /** Builds the model over {@code params} (which it then owns), inferring its config from them if needed. */
        M build(Weights weights, KeyLayout layout, Params params);
    }

    /** Opens {@code path} (a safetensors file, a sharded index, or a directory of them), loads and closes it. */
    public static <M extends AutoCloseable> M load(Path path, Recipe<M> recipe) {
        Engine.init();
        try (Weights weights = Weights.open(path)) {
            return load(weights, recipe);
        }
    }

    /** Loads from weights the caller keeps open (and closes). */
    public static <M extends AutoCloseable> M load(Weights weights, Recipe<M> recipe) {
        return build(weights, recipe, false);
    }

    /**
     * The model built over shape-only tensors ({@link Params#plan}): every check of {@link #load} runs, nothing is
     * read; the model's params then {@link Params#read} one tensor at a time (convert). {@code weights} must stay open.
     */
    public static <M extends AutoCloseable> M plan(Weights weights, Recipe<M> recipe) {
        return build(weights, recipe, true);
    }

    private static <M extends AutoCloseable> M build(Weights weights, Recipe<M> recipe, boolean deferred) {
        Engine.init();
        KeyLayout layout = recipe.layout(weights);
        DType cast = recipe.cast(weights, layout);
        Params params = deferred ? Params.plan(weights, layout, cast) : Params.load(weights, layout, cast, recipe.device(), recipe.keptOnHost(), recipe::adjust);
        M model;
        try {
            model = Scopes.value(() -> recipe.build(weights, layout, params));
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
        try {
            params.requireAllUsed();
            return model;
        } catch (RuntimeException e) {
            try {
                model.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * The one floating dtype of the tensors {@code layout} covers that satisfy {@code counted} (name, info) (null when there
     * are none). Mixed dtypes are refused with an example of each: the matmuls need one dtype, and silently
     * upcasting would double the memory of a bf16 model.
     */
    public static DType uniformDtype(Weights weights, KeyLayout layout, BiPredicate<String, TensorInfo> counted, String what) {
        Map<DType, String> example = new TreeMap<>();
        for (String name : weights.names()) {
            if (!layout.covers(name)) continue;
            TensorInfo info = weights.info(name).orElseThrow();
            if (info.dtype().isFloating() && counted.test(name, info)) example.putIfAbsent(info.dtype(), name);
        }
        if (example.size() > 1)
            throw new ModelLoadException(weights.source() + " mixes " + what + " of " + example.keySet() + " ("
                    + example.entrySet().stream().map(e -> "'" + e.getValue() + "' is " + e.getKey().code()).collect(Collectors.joining(", "))
                    + "); convert the checkpoint to one dtype, or choose a dtype to cast every weight to on load");
        return example.isEmpty() ? null : example.keySet().iterator().next();
    }

    /**
     * The dtype weights stored as {@code stored} compute in when nobody asked for one: fp8 is a storage format, so fp8
     * checkpoints dequantize to bf16, which keeps them small; every other dtype computes as stored.
     */
    public static DType computeDtypeOf(DType stored) {
        return stored.isFloat8() ? DType.BF16 : stored;
    }

    /** A requested compute dtype, which must be floating. */
    public static DType requireFloating(DType requested) {
        if (requested != null && (!requested.isFloating() || requested.isFloat8()))
            throw new ModelLoadException("the compute dtype must be bf16, f16, f32 or f64, not " + requested.code());
        return requested;
    }
}
