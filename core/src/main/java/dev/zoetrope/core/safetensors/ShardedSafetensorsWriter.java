package dev.zoetrope.core.safetensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.core.safetensors.SafetensorsStreamWriter.Planned;

/**
 * A checkpoint streamed into shards of at most a given size, named as Hugging Face names them: one file
 * {@code STEM.safetensors} when everything fits, else {@code STEM-00001-of-0000N.safetensors} ... and
 * {@code STEM.safetensors.index.json} ({@code metadata.total_size}, {@code weight_map}), which {@link Weights#open}
 * reads back. Tensors are written in plan order; each shard is committed (fsync, rename) as soon as its last tensor is
 * in, the index last, so a reader never finds an index naming a shard that is not complete.
 */
public final class ShardedSafetensorsWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final String stem;
    private final List<List<Planned>> shards;
    private final Map<String, String> metadata;
    private final Map<String, Integer> shardOf = new HashMap<>();
    private final List<Path> files = new ArrayList<>();
    private SafetensorsStreamWriter current;
    private int currentShard = -1;
    private boolean committed;

    private ShardedSafetensorsWriter(Path dir, String stem, List<List<Planned>> shards, Map<String, String> metadata) {
        this.dir = dir;
        this.stem = stem;
        this.shards = shards;
        this.metadata = metadata;
        for (int i = 0; i < shards.size(); i++) {
            for (Planned p : shards.get(i)) shardOf.put(p.name(), i);
            files.add(dir.resolve(shards.size() == 1 ? stem + ".safetensors"
                    : String.format(Locale.ROOT, "%s-%05d-of-%05d.safetensors", stem, i + 1, shards.size())));
        }
    }

    /**
     * Plans the files for {@code plan} in {@code dir}; nothing is written until the first tensor.
     *
     * @param maxShardBytes a shard holds at most this many bytes of tensor data (a larger tensor gets a shard of its
     *                      own); {@code Long.MAX_VALUE} for one file
     */
    public static ShardedSafetensorsWriter open(Path dir, String stem, List<Planned> plan, long maxShardBytes,
                                                Map<String, String> metadata) {
        return new ShardedSafetensorsWriter(dir, stem, split(plan, maxShardBytes), Map.copyOf(metadata));
    }

    /** {@code plan} in order, cut into runs of at most {@code maxShardBytes} (at least one tensor each, one run if empty). */
    public static List<List<Planned>> split(List<Planned> plan, long maxShardBytes) {
        if (maxShardBytes < 1) throw new IllegalArgumentException("the shard size must be positive, not " + maxShardBytes);
        List<List<Planned>> out = new ArrayList<>();
        List<Planned> run = new ArrayList<>();
        long bytes = 0;
        for (Planned p : plan) {
            if (!run.isEmpty() && bytes + p.byteLength() > maxShardBytes) {
                out.add(List.copyOf(run));
                run.clear();
                bytes = 0;
            }
            run.add(p);
            bytes += p.byteLength();
        }
        if (!run.isEmpty() || out.isEmpty()) out.add(List.copyOf(run));
        return List.copyOf(out);
    }

    /** The weight files this writer makes, in order (their index comes on top when there are several). */
    public List<Path> files() {
        return List.copyOf(files);
    }

    /** The index file, or null when everything fits in one file. */
    public Path index() {
        return shards.size() > 1 ? dir.resolve(stem + ".safetensors.index.json") : null;
    }

    /** Appends the next planned tensor (see {@link SafetensorsStreamWriter#write(String, Tensor)}). */
    public void write(String name, Tensor t) throws IOException {
        Integer shard = shardOf.get(name);
        if (shard == null) throw new IllegalArgumentException("tensor '" + name + "' is not in the plan");
        if (shard != currentShard) {
            if (shard != currentShard + 1 || current != null && current.next() != null)
                throw new IllegalArgumentException("tensor '" + name + "' comes out of plan order");
            current = SafetensorsStreamWriter.open(files.get(shard), shards.get(shard), metadata);
            currentShard = shard;
        }
        current.write(name, t);
        if (current.next() == null) {
            current.commit();
            current = null;
        }
    }

    /** Checks every shard is complete (an empty plan still gets its one empty file) and writes the index. */
    public void commit() throws IOException {
        if (committed) throw new IllegalStateException(dir.resolve(stem) + ": already committed");
        if (currentShard < 0 && shards.size() == 1 && shards.getFirst().isEmpty()) {
            try (SafetensorsStreamWriter empty = SafetensorsStreamWriter.open(files.getFirst(), List.of(), metadata)) {
                empty.commit();
            }
            currentShard = 0;
        }
        if (current != null || currentShard != shards.size() - 1)
            throw new IllegalStateException(dir.resolve(stem) + ": not every planned tensor was written");
        committed = true;
        if (index() == null) return;
        long total = 0;
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++)
            for (Planned p : shards.get(i)) {
                total += p.byteLength();
                weightMap.put(p.name(), files.get(i).getFileName().toString());
            }
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", total);
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        AtomicFiles.writeString(index(), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    /** Abandons an unfinished shard (its temporary file is deleted); committed shards stay. */
    @Override
    public void close() throws IOException {
        if (current != null) current.close();
        current = null;
    }
}
