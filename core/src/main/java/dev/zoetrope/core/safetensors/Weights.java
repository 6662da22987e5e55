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
 * A set of named tensors on disk, read lazily one tensor at a time: a single safetensors file, a PyTorch
 * checkpoint ({@code torch.save}), a Hugging Face sharded checkpoint of either, or every weights file of a directory.
 * (Sealed types outside a named module must share the package, hence {@link TorchCheckpoint} lives here too.)
 */
public sealed interface Weights extends AutoCloseable permits SafetensorsFile, TorchCheckpoint, ShardedWeights {

    /** All tensor names, sorted. */
    Collection<String> names();

    /** The file's string metadata (safetensors' {@code __metadata__}); empty where the format has none. */
    default java.util.Map<String, String> metadata() {
        return java.util.Map.of();
    }

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

    /** File name endings of PyTorch checkpoints, as they are distributed. */
    List<String> TORCH_SUFFIXES = List.of(".pth", ".pt", ".bin", ".ckpt");

    /**
     * Opens {@code path}: a {@code .safetensors} file, a PyTorch checkpoint ({@code .pth}, {@code .pt}, {@code .bin},
     * {@code .ckpt}), a shard index ({@code *.safetensors.index.json} or {@code pytorch_model.bin.index.json}), or a
     * directory. A directory is read as its safetensors index if it has one, else all its {@code .safetensors} files;
     * only when it holds no safetensors at all, as its PyTorch shard index, else all its PyTorch checkpoints. So a
     * directory with both forms of the same weights (as many Hugging Face repositories have) reads the safetensors.
     */
    static Weights open(Path path) {
        if (!Files.exists(path)) throw new SafetensorsException(path, "no such file or directory");
        if (Files.isDirectory(path)) {
            Weights w = openAll(path, ".safetensors.index.json", List.of(".safetensors"), null);
            // A Hugging Face training checkpoint keeps optimizer.pt, training_args.bin, ... beside the model's weights.
            if (w == null) w = openAll(path, ".bin.index.json", TORCH_SUFFIXES, "pytorch_model.bin");
            if (w == null)
                throw new SafetensorsException(path, "holds no .safetensors file or PyTorch checkpoint ("
                        + String.join(", ", TORCH_SUFFIXES) + ")");
            return w;
        }
        if (path.getFileName().toString().endsWith(".index.json")) return ShardedWeights.fromIndex(path);
        return openFile(path);
    }

    /**
     * The index with {@code indexSuffix} in {@code dir}, else the file named {@code preferred} if there is one, else
     * all files with one of {@code suffixes}; null if there are none.
     */
    private static Weights openAll(Path dir, String indexSuffix, List<String> suffixes, String preferred) {
        List<Path> indexes = list(dir, List.of(indexSuffix));
        if (indexes.size() == 1) return ShardedWeights.fromIndex(indexes.getFirst());
        if (indexes.size() > 1)
            throw new SafetensorsException(dir, "holds " + indexes.size() + " shard indexes; name one of them");
        List<Path> files = list(dir, suffixes);
        if (files.isEmpty()) return null;
        if (files.size() == 1) return openFile(files.getFirst());
        if (preferred != null && files.contains(dir.resolve(preferred))) return openFile(dir.resolve(preferred));
        return ShardedWeights.fromFiles(dir, files);
    }

    /**
     * Opens one weights file, by its name: {@code .safetensors} is safetensors, the PyTorch endings are PyTorch
     * checkpoints. Any other name is decided by the first bytes (a zip archive or a legacy pickle is PyTorch's).
     */
    static Weights openFile(Path path) {
        String name = path.getFileName().toString();
        if (name.endsWith(".safetensors")) return SafetensorsFile.open(path);
        if (TORCH_SUFFIXES.stream().anyMatch(name::endsWith)) return TorchCheckpoint.open(path);
        byte[] head = new byte[16];
        int n;
        try (var in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new SafetensorsException(path, "cannot read: " + e.getMessage(), e);
        }
        boolean torch = TorchCheckpoint.looksLikeTorch(java.util.Arrays.copyOf(head, n));
        return torch ? TorchCheckpoint.open(path) : SafetensorsFile.open(path);
    }

    private static List<Path> list(Path dir, List<String> suffixes) {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.filter(p -> Files.isRegularFile(p)
                    && suffixes.stream().anyMatch(p.getFileName().toString()::endsWith)).sorted().toList());
        } catch (IOException e) {
            throw new SafetensorsException(dir, "cannot list: " + e.getMessage(), e);
        }
    }
}
