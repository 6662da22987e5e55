package dev.zoetrope.models.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;

/**
 * The named parameters of a model. Tensors are pinned (outside every PointerScope) until {@link #close}.
 *
 * <p>Backed by a {@link Weights} source, a tensor is read on first {@link #get}, and its shape is checked
 * against what the model expects, so a wrong checkpoint fails with the tensor's name and both shapes.
 * {@code keyMap} translates the model's own key names to the file's (e.g. Diffusers renames).
 */
public final class Params implements AutoCloseable {
    private final Weights source;
    private final String prefix;
    private final UnaryOperator<String> keyMap;
    private final DType cast;
    private final Map<String, Tensor> tensors = new TreeMap<>();
    private final Set<String> used = new LinkedHashSet<>();

    private Params(Weights source, String prefix, UnaryOperator<String> keyMap, DType cast) {
        this.source = source;
        this.prefix = prefix;
        this.keyMap = keyMap;
        this.cast = cast;
    }

    /** Empty parameters, filled with {@link #put} (random init, tests, conversion). */
    public static Params empty() {
        return new Params(null, "", UnaryOperator.identity(), null);
    }

    /**
     * Parameters read lazily from {@code source}: model key {@code k} is file key {@code prefix + keyMap(k)}.
     *
     * @param cast floating tensors are cast to this dtype on load; null keeps each tensor's stored dtype
     */
    public static Params from(Weights source, String prefix, UnaryOperator<String> keyMap, DType cast) {
        return new Params(source, prefix, keyMap, cast);
    }

    public static Params from(Weights source, String prefix) {
        return from(source, prefix, UnaryOperator.identity(), null);
    }

    /** The file key a model key maps to. */
    public String fileKey(String key) {
        return prefix + keyMap.apply(key);
    }

    public boolean has(String key) {
        return tensors.containsKey(key) || source != null && source.contains(fileKey(key));
    }

    /** The tensor named {@code key}, which must have {@code shape} (omit the shape to accept any). */
    public synchronized Tensor get(String key, long... shape) {
        Tensor t = tensors.get(key);
        if (t == null) {
            if (source == null || !source.contains(fileKey(key)))
                throw new ModelLoadException("missing tensor '" + fileKey(key) + "'"
                        + (shape.length > 0 ? " (expected shape " + Arrays.toString(shape) + ")" : "")
                        + (source != null ? " in " + source.source() : ""));
            TensorInfo info = source.info(fileKey(key)).orElseThrow();
            checkShape(key, info.shape(), shape);
            t = Scopes.pin(cast != null && info.dtype().isFloating() ? source.load(fileKey(key), cast) : source.load(fileKey(key)));
            tensors.put(key, t);
        } else {
            checkShape(key, Tensors.shape(t), shape);
        }
        used.add(key);
        return t;
    }

    /** The tensor if present (shape-checked), else null. */
    public Tensor optional(String key, long... shape) {
        return has(key) ? get(key, shape) : null;
    }

    /** The stored shape of {@code key}, without loading it; for inferring dims from weights. */
    public long[] shapeOf(String key) {
        Tensor t = tensors.get(key);
        if (t != null) return Tensors.shape(t);
        if (source == null || !source.contains(fileKey(key)))
            throw new ModelLoadException("missing tensor '" + fileKey(key) + "'" + (source != null ? " in " + source.source() : ""));
        return source.info(fileKey(key)).orElseThrow().shape();
    }

    private void checkShape(String key, long[] actual, long[] expected) {
        if (expected.length > 0 && !Arrays.equals(actual, expected))
            throw new ModelLoadException("tensor '" + fileKey(key) + "' has shape " + Arrays.toString(actual)
                    + ", the model expects " + Arrays.toString(expected));
    }

    /** Sets (and pins) a tensor, replacing and freeing any previous one. */
    public synchronized void put(String key, Tensor t) {
        Tensor old = tensors.put(key, Scopes.pin(t));
        if (old != null && old != t) Scopes.release(old);
        used.add(key);
    }

    /** Every tensor loaded or put so far, by model key. */
    public synchronized Map<String, Tensor> loaded() {
        return Collections.unmodifiableMap(new TreeMap<>(tensors));
    }

    /** The floating dtypes among the source's tensors whose file key starts with the prefix. */
    public EnumSet<DType> storedFloatDtypes() {
        EnumSet<DType> out = EnumSet.noneOf(DType.class);
        if (source == null) {
            for (Tensor t : tensors.values()) if (Tensors.dtype(t).isFloating()) out.add(Tensors.dtype(t));
            return out;
        }
        for (String n : source.names()) {
            if (!n.startsWith(prefix)) continue;
            DType d = source.info(n).orElseThrow().dtype();
            if (d.isFloating()) out.add(d);
        }
        return out;
    }

    /** File keys under the prefix that no model key asked for (after loading the model). */
    public Set<String> unusedSourceKeys() {
        Set<String> wanted = new java.util.HashSet<>();
        for (String k : used) wanted.add(fileKey(k));
        Set<String> out = new java.util.TreeSet<>();
        if (source != null) for (String n : source.names()) if (n.startsWith(prefix) && !wanted.contains(n)) out.add(n);
        return out;
    }

    public Weights source() {
        return source;
    }

    /** Writes every loaded tensor under its model key. */
    public void save(Path file, Map<String, String> metadata) throws IOException {
        SafetensorsWriter.write(file, loaded(), metadata);
    }

    @Override
    public synchronized void close() {
        for (Tensor t : tensors.values()) Scopes.release(t);
        tensors.clear();
    }
}
