package dev.zoetrope.models.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Predicate;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;

/**
 * The named parameters of a model, declared by its module tree. Each module asks for its tensors as it is built
 * ({@link #get}: key, role, shape), so the tree <em>is</em> the state dict: loading a checkpoint, drawing fresh
 * weights and listing the shapes all run the same constructors over a different source.
 *
 * <ul>
 *   <li>{@link #load}: from a checkpoint, through a {@link KeyLayout}, shape-checked, optionally cast on load;
 *       {@link #requireAllUsed} then refuses tensors the model did not ask for.</li>
 *   <li>{@link #fresh}: drawn by an {@link Init} in declaration order from a seed, optionally onto a device.</li>
 *   <li>{@link #shapesOnly}: shapes without data (libtorch's {@code meta} device), for inventories.</li>
 *   <li>{@link #empty}: filled with {@link #put} (a training run's EMA weights, tests).</li>
 * </ul>
 * Tensors are pinned (outside every PointerScope) until {@link #close}.
 */
public final class Params implements AutoCloseable {
    /** One parameter as its module declared it. */
    public record Declared(String key, long[] shape, Role role) {}

    private sealed interface Source {}

    /** @param deferred {@link #get} checks and declares, returning shape-only tensors; {@link #read} reads later */
    private record Checkpoint(Weights weights, KeyLayout layout, DType cast, boolean deferred, Device device,
                              Predicate<String> keptOnHost, BiFunction<String, Tensor, Tensor> adjust) implements Source {}

    private record Fresh(Init init, DType dtype, boolean trainable, Device device) implements Source {}

    private record ShapesOnly(DType dtype) implements Source {}

    private record Given() implements Source {}

    private final Source source;
    private final TreeMap<String, Tensor> tensors = new TreeMap<>();
    private final Map<String, Declared> declared = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();
    private final List<Tensor> derived = new ArrayList<>();
    private Adapters adapters = Adapters.NONE;

    private Params(Source source) {
        this.source = source;
    }

    /** Parameters filled with {@link #put}. */
    public static Params empty() {
        return new Params(new Given());
    }

    /**
     * Parameters read from {@code weights}: model key {@code k} is file key {@code layout.fileKey(k)}.
     *
     * @param cast floating tensors are cast to this dtype as they are read; null keeps each tensor's stored dtype
     */
    public static Params load(Weights weights, KeyLayout layout, DType cast) {
        return load(weights, layout, cast, null);
    }

    /**
     * {@link #load(Weights, KeyLayout, DType)} onto {@code device} (null: the CPU): each tensor is read, cast and moved
     * before the next, so no second full copy of the weights is ever in host memory.
     */
    public static Params load(Weights weights, KeyLayout layout, DType cast, Device device) {
        return load(weights, layout, cast, device, key -> false);
    }

    /**
     * {@link #load(Weights, KeyLayout, DType, Device)} with the tensors {@code keptOnHost} selects (by model key) left in
     * host memory, page-locked when {@code device} is a GPU, for a model that streams them to the device as it runs
     * (sequential offload); {@link #copyTo} makes those copies.
     */
    public static Params load(Weights weights, KeyLayout layout, DType cast, Device device, Predicate<String> keptOnHost) {
        return load(weights, layout, cast, device, keptOnHost, (key, t) -> t);
    }

    /**
     * {@link #load(Weights, KeyLayout, DType, Device, Predicate)} with each tensor passed through {@code adjust} (model
     * key, tensor as read and cast) before it is placed: LoRA adapters merge there.
     */
    public static Params load(Weights weights, KeyLayout layout, DType cast, Device device, Predicate<String> keptOnHost,
                              BiFunction<String, Tensor, Tensor> adjust) {
        return new Params(new Checkpoint(weights, layout, cast, false, device, keptOnHost, adjust));
    }

    /**
     * {@link #load} that reads nothing yet: the module tree is built over shape-only tensors (each declaration
     * still checked against the file), and {@link #read} then reads one tensor at a time, for converting checkpoints
     * larger than memory.
     */
    public static Params plan(Weights weights, KeyLayout layout, DType cast) {
        Engine.init();
        return new Params(new Checkpoint(weights, layout, cast, true, null, key -> false, (key, t) -> t));
    }

    /**
     * Fresh parameters drawn by {@code init} in {@code dtype}, in the order the module tree declares them, from
     * libtorch's generator seeded with {@code seed} now: build the model right after.
     *
     * @param trainable the tensors require grad from the start (before any module takes a view of them)
     */
    public static Params fresh(Init init, long seed, DType dtype, boolean trainable) {
        return fresh(init, seed, dtype, trainable, null);
    }

    /**
     * {@link #fresh(Init, long, DType, boolean)} onto {@code device} (null: the CPU): each tensor is drawn on the host, so
     * a seed gives the same weights on every device, and moved before the next is drawn; it requires grad once there.
     */
    public static Params fresh(Init init, long seed, DType dtype, boolean trainable, Device device) {
        Engine.init();
        torch.manual_seed(seed);
        return new Params(new Fresh(init, dtype, trainable, device));
    }

    /** Shapes without data: every tensor lives on the {@code meta} device, in float32. */
    public static Params shapesOnly() {
        return shapesOnly(DType.F32);
    }

    /** Shapes without data, in {@code dtype}: every tensor lives on the {@code meta} device. */
    public static Params shapesOnly(DType dtype) {
        Engine.init();
        return new Params(new ShapesOnly(dtype));
    }

    /** The file key a model key maps to (the model key itself when not reading a checkpoint). */
    public String fileKey(String key) {
        return source instanceof Checkpoint c ? c.layout().fileKey(key) : key;
    }

    /** Whether {@code key} can be had: already present, or in the checkpoint. Fresh parameters exist once declared. */
    public synchronized boolean has(String key) {
        return tensors.containsKey(key) || source instanceof Checkpoint c && c.weights().contains(fileKey(key));
    }

    /**
     * Declares parameter {@code key} of {@code role} with {@code shape} and returns its tensor: read from the
     * checkpoint (shape-checked), drawn fresh, or the one already present.
     *
     * @throws ModelLoadException when the checkpoint lacks the tensor or holds it in another shape
     */
    public synchronized Tensor get(String key, Role role, long... shape) {
        declared.putIfAbsent(key, new Declared(key, shape.clone(), role));
        Tensor t = tensors.get(key);
        if (t == null) {
            t = Scopes.pinned(() -> create(key, role, shape));
            tensors.put(key, t);
        } else {
            checkShape(key, Tensors.shape(t), shape);
        }
        used.add(key);
        return t;
    }

    /** The parameter if the source has it (as {@link #get}), else null; fresh parameters never have optional ones. */
    public Tensor optional(String key, Role role, long... shape) {
        return has(key) ? get(key, role, shape) : null;
    }

    /** A tensor already present (loaded, drawn or put), without declaring anything. */
    public synchronized Tensor tensor(String key) {
        Tensor t = tensors.get(key);
        if (t == null) throw new ModelLoadException("missing tensor '" + key + "'");
        return t;
    }

    private Tensor create(String key, Role role, long[] shape) {
        return switch (source) {
            case Checkpoint c when c.deferred() -> {
                TensorInfo info = info(c, key, shape);
                yield meta(shape, loadedDtype(c, info));
            }
            case Checkpoint c -> requireFinite(c, key, place(c, key, c.adjust().apply(key, readFile(c, requireFloating(c, info(c, key, shape))))));
            case Fresh f -> {
                Tensor t = Ops.toDevice(f.init().draw(role, shape).to(f.dtype().scalarType()), f.device());
                if (f.trainable()) t.requires_grad_(true);
                yield t;
            }
            case ShapesOnly s -> meta(shape, s.dtype());
            case Given g -> throw new ModelLoadException("missing tensor '" + key + "' (expected shape " + Arrays.toString(shape) + ")");
        };
    }

    /** Every parameter is floating point: an integer weight matrix would compute silently wrong numbers. */
    private static TensorInfo requireFloating(Checkpoint c, TensorInfo info) {
        if (!info.dtype().isFloating())
            throw new ModelLoadException(c.weights().source() + ": tensor '" + info.name() + "' is " + info.dtype().code()
                    + "; a model parameter must be floating point (F32, BF16, F16 or fp8)");
        return info;
    }

    /**
     * Refuses a parameter holding NaN or infinity, naming it: one such value turns every frame black without another
     * sign. One reduction per tensor, on the device it went to (nothing to check on meta).
     */
    private static Tensor requireFinite(Checkpoint c, String key, Tensor t) {
        if (!t.is_meta() && !Scopes.value(() -> torch.isfinite(t).all().item_bool()))
            throw new ModelLoadException(c.weights().source() + ": tensor '" + c.layout().fileKey(key) + "' holds NaN or infinite "
                    + "values; the checkpoint is damaged or was saved from a diverged run");
        return t;
    }

    /** A tensor as read, on the device, or kept on the host for streaming (page-locked for a GPU: fast async copies). */
    private static Tensor place(Checkpoint c, String key, Tensor read) {
        if (!c.keptOnHost().test(key)) return Ops.toDevice(read, c.device());
        return c.device() != null && c.device().is_cuda() ? read.pin_memory() : read;
    }

    private TensorInfo info(Checkpoint c, String key, long[] shape) {
        String file = c.layout().fileKey(key);
        TensorInfo info = c.weights().info(file).orElseThrow(() -> new ModelLoadException("missing tensor '" + file + "'"
                + " (expected shape " + Arrays.toString(shape) + ") in " + c.weights().source()));
        checkShape(key, info.shape(), shape);
        return info;
    }

    /** The dtype a stored tensor has once read: the cast one for floating tensors when casting, else as stored. */
    private static DType loadedDtype(Checkpoint c, TensorInfo info) {
        if (c.cast() != null && info.dtype().isFloating()) return c.cast();
        return info.dtype().isFloat8() ? CheckpointLoader.computeDtypeOf(info.dtype()) : info.dtype();
    }

    private static Tensor readFile(Checkpoint c, TensorInfo info) {
        TensorInfo scale = scaleOf(c.weights(), info);
        if (scale != null) { // ComfyUI's scaled fp8: the real weight is the stored value times the scale beside it
            DType to = c.cast() != null ? c.cast() : CheckpointLoader.computeDtypeOf(info.dtype());
            return c.weights().load(info.name(), DType.F32).mul(scaleFor(c.weights(), scale, info)).to(to.scalarType());
        }
        if (c.cast() == null && info.dtype().isFloat8())
            return c.weights().load(info.name(), CheckpointLoader.computeDtypeOf(info.dtype()));
        return c.cast() != null && info.dtype().isFloating() ? c.weights().load(info.name(), c.cast()) : c.weights().load(info.name());
    }

    /** A per-tensor scale, or one per output row (viewed to broadcast over the rows); anything else is refused. */
    private static Tensor scaleFor(Weights weights, TensorInfo scale, TensorInfo weight) {
        long rows = weight.shape().length == 0 ? 1 : weight.shape()[0];
        if (!scale.dtype().isFloating() || scale.numel() != 1 && scale.numel() != rows)
            throw new ModelLoadException(weights.source() + ": '" + scale.name() + "' is " + scale.describe() + "; an fp8 scale must be "
                    + "one floating value, or one per row of '" + weight.name() + "' " + Arrays.toString(weight.shape()));
        Tensor s = weights.load(scale.name(), DType.F32);
        if (scale.numel() == 1) return s.reshape(new long[0]);
        long[] column = new long[weight.shape().length];
        Arrays.fill(column, 1);
        column[0] = rows;
        return s.reshape(column);
    }

    /** The {@code X.scale_weight} beside an fp8 {@code X.weight}, or null. */
    private static TensorInfo scaleOf(Weights weights, TensorInfo info) {
        if (!info.dtype().isFloat8() || !info.name().endsWith(".weight")) return null;
        String name = info.name().substring(0, info.name().length() - ".weight".length()) + SCALE_WEIGHT;
        return weights.info(name).orElse(null);
    }

    /** ComfyUI's per-tensor fp8 scale, and the markers of its scaled-fp8 files, which dequantizing on load consumes. */
    private static final String SCALE_WEIGHT = ".scale_weight";
    private static final String SCALED_FP8_MARKER = "scaled_fp8";
    private static final String SCALE_INPUT = ".scale_input";

    private static Tensor meta(long[] shape, DType dtype) {
        return torch.empty(shape, new TensorOptions(new Device("meta")).dtype(new ScalarTypeOptional(dtype.scalarType())),
                new MemoryFormatOptional());
    }

    /**
     * Reads declared parameter {@code key} from the checkpoint of a {@link #plan} (cast as it would load), into the
     * caller's scope; nothing is kept.
     */
    public Tensor read(String key) {
        Declared d = declared.get(key);
        if (!(source instanceof Checkpoint c) || d == null) throw new IllegalStateException("'" + key + "' is not a declared checkpoint tensor");
        return readFile(c, info(c, key, d.shape()));
    }

    /** The stored shape of {@code key}, without loading it; for inferring dims from weights. */
    public synchronized long[] shapeOf(String key) {
        Tensor t = tensors.get(key);
        if (t != null) return Tensors.shape(t);
        if (!(source instanceof Checkpoint c) || !c.weights().contains(fileKey(key)))
            throw new ModelLoadException("missing tensor '" + fileKey(key) + "'"
                    + (source instanceof Checkpoint c ? " in " + c.weights().source() : ""));
        return c.weights().info(fileKey(key)).orElseThrow().shape();
    }

    private void checkShape(String key, long[] actual, long[] expected) {
        if (expected.length > 0 && !Arrays.equals(actual, expected))
            throw new ModelLoadException("tensor '" + fileKey(key) + "' has shape " + Arrays.toString(actual)
                    + ", the model expects " + Arrays.toString(expected));
    }

    /** Sets (and pins) a tensor given from outside (a training run's weights), replacing and freeing any previous one. */
    public synchronized void put(String key, Tensor t) {
        Tensor old = tensors.put(key, Scopes.pin(t));
        if (old != null && old != t) Scopes.release(old);
        used.add(key);
    }

    /**
     * The tensors whose model key starts with {@code prefix}, copied to {@code device} (the same tensors when they are
     * there already), as new parameters over which a module can be built: sequential offload brings one block's
     * weights to the device this way for one forward. The caller closes them.
     */
    public synchronized Params copyTo(String prefix, Device device) {
        Params out = empty().withAdapters(adapters);
        for (Map.Entry<String, Tensor> e : tensors.subMap(prefix, prefix + Character.MAX_VALUE).entrySet())
            Scopes.run(() -> out.put(e.getKey(), Ops.toDevice(e.getValue(), device)));
        return out;
    }

    /**
     * The same tensors as new parameters (detached views: closing them frees only the views), for another module tree
     * over the same weights, e.g. one with {@link #withAdapters adapters}.
     */
    public synchronized Params view() {
        Params out = empty();
        tensors.forEach((k, t) -> Scopes.run(() -> out.put(k, t.detach())));
        return out;
    }

    /** Sets the adapters the Linears built over these parameters carry ({@link Linear#load}); returns this. */
    public synchronized Params withAdapters(Adapters a) {
        adapters = a == null ? Adapters.NONE : a;
        return this;
    }

    /** The adapters of the Linears built over these parameters (none unless {@link #withAdapters set}). */
    public synchronized Adapters adapters() {
        return adapters;
    }

    /** Keeps {@code t}, derived from the parameters (a view, a cast), alive as long as they are; returns it. */
    public synchronized Tensor derived(Tensor t) {
        derived.add(Scopes.pin(t));
        return t;
    }

    /** Every parameter in the order the module tree declared it. */
    public synchronized List<Declared> declared() {
        return List.copyOf(declared.values());
    }

    /**
     * Bytes the parameters hold on their device: every tensor present, and every derived tensor that is a copy (a
     * cast) rather than a view. On {@code meta} this is what the same parameters would take on a real device.
     */
    public synchronized long residentBytes() {
        long n = 0;
        for (Tensor t : tensors.values()) n += t.nbytes();
        for (Tensor t : derived) if (!t.is_view()) n += t.nbytes();
        return n;
    }

    /** Every tensor present, by model key. */
    public synchronized Map<String, Tensor> loaded() {
        return Collections.unmodifiableMap(new TreeMap<>(tensors));
    }

    /** The floating dtypes among the tensors present. */
    public synchronized EnumSet<DType> storedFloatDtypes() {
        EnumSet<DType> out = EnumSet.noneOf(DType.class);
        for (Tensor t : tensors.values()) if (Tensors.dtype(t).isFloating()) out.add(Tensors.dtype(t));
        return out;
    }

    /**
     * Refuses a checkpoint that holds tensors the model did not ask for (within what its layout covers): a
     * checkpoint of another config or model would otherwise load with parts silently ignored.
     */
    public synchronized void requireAllUsed() {
        if (!(source instanceof Checkpoint c)) return;
        Set<String> wanted = new HashSet<>();
        for (String k : used) {
            String file = fileKey(k);
            wanted.add(file);
            c.weights().info(file).map(i -> scaleOf(c.weights(), i)).ifPresent(scale -> wanted.add(scale.name()));
        }
        Set<String> unused = new TreeSet<>();
        for (String n : c.weights().names())
            if (c.layout().covers(n) && !wanted.contains(n) && !n.endsWith(SCALED_FP8_MARKER) && !n.endsWith(SCALE_INPUT)) unused.add(n);
        if (!unused.isEmpty())
            throw new ModelLoadException(c.weights().source() + " holds " + unused.size() + " tensor(s) this model does not use ("
                    + c.layout().describe() + "), e.g. " + new ArrayList<>(unused).subList(0, Math.min(5, unused.size()))
                    + "; is it a checkpoint of another config or model?");
    }

    /** Writes every tensor present under its file key in {@code layout}, atomically. */
    public void save(Path file, KeyLayout layout, Map<String, Tensor> extra) throws IOException {
        Map<String, Tensor> out = new TreeMap<>();
        loaded().forEach((k, t) -> out.put(layout.fileKey(k), t));
        out.putAll(extra);
        SafetensorsWriter.write(file, out, Map.of("format", "pt"));
    }

    @Override
    public synchronized void close() {
        for (Tensor t : derived) Scopes.release(t);
        derived.clear();
        for (Tensor t : tensors.values()) Scopes.release(t);
        tensors.clear();
    }
}
