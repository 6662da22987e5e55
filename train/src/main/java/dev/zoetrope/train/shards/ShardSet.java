package dev.zoetrope.train.shards;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.zoetrope.core.io.AtomicFiles;

/**
 * The top-level {@code shards.json} of a shard directory: the format version and, in order, every completed
 * shard. A shard is listed only after both its files are in place, so a listed shard is always whole.
 */
public record ShardSet(@JsonProperty("format") String format,
                       @JsonProperty("version") int version,
                       @JsonProperty("clips") long clips,
                       @JsonProperty("shards") List<Shard> shards) {
    public static final String FORMAT = "zoetrope-shards";
    public static final int VERSION = 1;
    public static final String MANIFEST = "shards.json";

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One shard: its safetensors data file, its JSONL index, how many clips and bytes it holds.
     * {@code firstClip} is the global position of its first clip, for random access by number.
     */
    public record Shard(@JsonProperty("data") String data,
                        @JsonProperty("index") String index,
                        @JsonProperty("clips") int clips,
                        @JsonProperty("first_clip") long firstClip,
                        @JsonProperty("bytes") long bytes) {}

    public static ShardSet empty() {
        return new ShardSet(FORMAT, VERSION, 0, List.of());
    }

    /** Reads {@code dir/shards.json}; a directory without one is an empty set. */
    public static ShardSet read(Path dir) {
        Path file = dir.resolve(MANIFEST);
        if (!Files.exists(file)) return empty();
        ShardSet set;
        try {
            set = JSON.readValue(Files.readAllBytes(file), ShardSet.class);
        } catch (IOException e) {
            throw new ShardException(file, "not a readable shard manifest: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(set.format)) throw new ShardException(file, "format is '" + set.format + "', expected '" + FORMAT + "'");
        if (set.version > VERSION)
            throw new ShardException(file, "version " + set.version + " is newer than this reader (" + VERSION + ")");
        if (set.shards == null) throw new ShardException(file, "has no 'shards' list");
        return set;
    }

    /**
     * Moves the shards of the shard sets {@code parts} (directories, in order) into {@code target} (created; it must not
     * exist yet) as one set, renumbered {@code shard-000000...} in order, and lists them; empty parts are skipped. Shard
     * sets written in parallel (one per worker) become one set this way without copying a byte.
     */
    public static ShardSet merge(List<Path> parts, Path target) throws IOException {
        Files.createDirectories(target.getParent() == null ? Path.of(".") : target.getParent());
        Files.createDirectory(target);
        List<Shard> shards = new java.util.ArrayList<>();
        long clips = 0;
        for (Path part : parts) {
            for (Shard sh : read(part).shards()) {
                String base = String.format(java.util.Locale.ROOT, "shard-%06d", shards.size());
                Files.move(part.resolve(sh.data()), target.resolve(base + ".safetensors"));
                Files.move(part.resolve(sh.index()), target.resolve(base + ".jsonl"));
                shards.add(new Shard(base + ".safetensors", base + ".jsonl", sh.clips(), clips, sh.bytes()));
                clips += sh.clips();
            }
        }
        ShardSet set = new ShardSet(FORMAT, VERSION, clips, List.copyOf(shards));
        set.write(target);
        return set;
    }

    void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(MANIFEST), JSON.writeValueAsString(this) + "\n");
    }
}
