package dev.zoetrope.core.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.DType;

/**
 * A set of named tensors on disk, read lazily one tensor at a time: a single safetensors file, a
 * Hugging Face sharded checkpoint, or every safetensors file of a directory.
 */
public sealed interface Weights extends AutoCloseable permits SafetensorsFile, ShardedWeights {

    /** All tensor names, sorted. */
    Collection<String> names();

    Optional<TensorInfo> info(String name);

    /** Loads one tensor in its stored dtype. */
    Tensor load(String name);

    /** Loads one tensor, cast to {@code dtype} when it differs. */
    default Tensor load(String name, DType dtype) {
        Tensor t = load(name);
        if (t.scalar_type().value == dtype.scalarType().value) return t;
        return t.to(dtype.scalarType());
    }

    default boolean contains(String name) {
        return info(name).isPresent();
    }

    /** Where these weights come from, for messages. */
    Path source();

    @Override
    void close();

    default long parameterCount() {
        long n = 0;
        for (String name : names()) n += info(name).orElseThrow().numel();
        return n;
    }

    default long byteCount() {
        long n = 0;
        for (String name : names()) n += info(name).orElseThrow().byteLength();
        return n;
    }

    /**
     * Opens {@code path}: a {@code .safetensors} file, a {@code *.safetensors.index.json}, or a directory
     * (its index if it has exactly one, else all its {@code .safetensors} files).
     */
    static Weights open(Path path) {
        if (!Files.exists(path)) throw new SafetensorsException(path, "no such file or directory");
        if (Files.isDirectory(path)) {
            List<Path> indexes = list(path, ".safetensors.index.json");
            if (indexes.size() == 1) return ShardedWeights.fromIndex(indexes.getFirst());
            if (indexes.size() > 1)
                throw new SafetensorsException(path, "holds " + indexes.size() + " shard indexes; name one of them");
            List<Path> files = list(path, ".safetensors");
            if (files.isEmpty()) throw new SafetensorsException(path, "holds no .safetensors file");
            if (files.size() == 1) return SafetensorsFile.open(files.getFirst());
            return ShardedWeights.fromFiles(path, files);
        }
        if (path.getFileName().toString().endsWith(".index.json")) return ShardedWeights.fromIndex(path);
        return SafetensorsFile.open(path);
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList());
        } catch (IOException e) {
            throw new SafetensorsException(dir, "cannot list: " + e.getMessage(), e);
        }
    }
}
