package dev.zoetrope.core.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Several weights files seen as one: a Hugging Face sharded checkpoint ({@code model.safetensors.index.json} or
 * {@code pytorch_model.bin.index.json} with its {@code weight_map}), or all files of a directory. Each shard is a
 * safetensors file or a PyTorch checkpoint, by its name ({@link Weights#openFile}). Shards are opened on first use.
 */
public final class ShardedWeights implements Weights {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path source;
    private final Map<String, Path> shardOf;
    private final Map<Path, Weights> open = new LinkedHashMap<>();

    /** {@code shardOf} is viewed, not copied: the factories fill it before handing the object out. */
    private ShardedWeights(Path source, Map<String, Path> shardOf) {
        this.source = source;
        this.shardOf = Collections.unmodifiableMap(shardOf);
    }

    /** Reads a {@code *.index.json}; every shard it names must exist and hold its tensors. */
    public static ShardedWeights fromIndex(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(index, "no such shard index", e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(index, "shard index is not well-formed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsException(index, "cannot read shard index: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new SafetensorsException(index, "shard index has no weight_map object");
        Path dir = index.toAbsolutePath().getParent();
        Map<String, Path> shardOf = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual())
                throw new SafetensorsException(index, "weight_map entry for '" + e.getKey() + "' is not a file name");
            Path shard = dir.resolve(e.getValue().textValue()).normalize();
            if (!shard.startsWith(dir))
                throw new SafetensorsException(index, "shard '" + e.getValue().textValue() + "' lies outside the checkpoint directory");
            if (!Files.isRegularFile(shard))
                throw new SafetensorsException(index, "names shard '" + e.getValue().textValue() + "' (for tensor '"
                        + e.getKey() + "'), which is missing");
            shardOf.put(e.getKey(), shard);
        }
        ShardedWeights w = new ShardedWeights(index, shardOf);
        try {
            // Every tensor the index names must be in its shard.
            for (Map.Entry<String, Path> e : shardOf.entrySet())
                if (!w.shard(e.getValue()).contains(e.getKey()))
                    throw new SafetensorsException(e.getValue(), "does not hold tensor '" + e.getKey() + "' that the index "
                            + index.getFileName() + " places there");
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** All tensors of several files; a name in two files is an error. */
    public static ShardedWeights fromFiles(Path dir, List<Path> files) {
        Map<String, Path> shardOf = new TreeMap<>();
        ShardedWeights w = new ShardedWeights(dir, shardOf);
        try {
            for (Path f : files)
                for (String name : w.shard(f).names()) {
                    Path prev = shardOf.put(name, f);
                    if (prev != null)
                        throw new SafetensorsException(dir, "tensor '" + name + "' is in both " + prev.getFileName()
                                + " and " + f.getFileName());
                }
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    private synchronized Weights shard(Path p) {
        return open.computeIfAbsent(p, Weights::openFile);
    }

    @Override
    public Collection<String> names() {
        return shardOf.keySet();
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        Path p = shardOf.get(name);
        return p == null ? Optional.empty() : shard(p).info(name);
    }

    @Override
    public Tensor load(String name) {
        Path p = shardOf.get(name);
        if (p == null) throw new SafetensorsException(source, "has no tensor '" + name + "'");
        return shard(p).load(name);
    }

    @Override
    public Path source() {
        return source;
    }

    /** The shard files, in name order. */
    public List<Path> shards() {
        return shardOf.values().stream().distinct().sorted().toList();
    }

    @Override
    public synchronized void close() {
        for (Weights f : open.values()) f.close();
        open.clear();
    }
}
