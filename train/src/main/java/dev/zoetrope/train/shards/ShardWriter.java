package dev.zoetrope.train.shards;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.io.AtomicFiles;

/**
 * Writes clips into a shard directory, {@code clipsPerShard} per shard (or fewer when a shard reaches
 * {@code maxShardBytes}). Memory stays flat whatever the clip count: tensor bytes go to a spool file as they
 * arrive, and a shard's safetensors file is assembled (header, then the spool) when the shard is full.
 *
 * <p>Each finished shard is written atomically ({@code .safetensors} and {@code .jsonl} via temp + rename), then
 * listed in {@code shards.json}, also atomically. A run that dies loses at most the clips of the open shard; opening
 * the directory again appends after the last listed shard and knows which clip ids it already holds.
 */
public final class ShardWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int clipsPerShard;
    private final long maxShardBytes;
    private final List<ShardSet.Shard> shards;
    private final Set<String> known = new HashSet<>();
    private long clips;

    private Path spool;
    private FileChannel spoolChannel;
    private final Map<String, long[]> pendingOffsets = new LinkedHashMap<>();
    private final Map<String, ClipRecord.TensorSpec> pendingSpecs = new LinkedHashMap<>();
    private final List<ClipRecord> pendingRecords = new ArrayList<>();
    private long spoolBytes;
    private boolean closed;

    private ShardWriter(Path dir, int clipsPerShard, long maxShardBytes, ShardSet existing) {
        this.dir = dir;
        this.clipsPerShard = clipsPerShard;
        this.maxShardBytes = maxShardBytes;
        this.shards = new ArrayList<>(existing.shards());
        this.clips = existing.clips();
    }

    /**
     * Opens {@code dir} for writing, creating it if needed. Existing shards are kept and new clips are appended
     * in new shards.
     */
    public static ShardWriter open(Path dir, int clipsPerShard, long maxShardBytes) throws IOException {
        if (clipsPerShard < 1) throw new IllegalArgumentException("clips per shard must be at least 1, got " + clipsPerShard);
        Files.createDirectories(dir);
        ShardSet existing = ShardSet.read(dir);
        ShardWriter w = new ShardWriter(dir, clipsPerShard, maxShardBytes, existing);
        try (ShardReader r = ShardReader.open(dir)) {
            for (ClipRecord rec : r.records()) w.known.add(rec.clipId());
        }
        return w;
    }

    public static ShardWriter open(Path dir, int clipsPerShard) throws IOException {
        return open(dir, clipsPerShard, 4L << 30);
    }

    /** True when a completed shard already holds this clip id. */
    public synchronized boolean contains(String clipId) {
        return known.contains(clipId);
    }

    /** Clips in completed shards plus the open one. */
    public synchronized long size() {
        return clips + pendingRecords.size();
    }

    /** Adds one clip with its tensors. Fails if the id is already stored. */
    public synchronized void add(ClipRecord record, List<ShardTensor> tensors) throws IOException {
        if (closed) throw new IllegalStateException("shard writer for " + dir + " is closed");
        if (!known.add(record.clipId())) throw new IllegalArgumentException("clip '" + record.clipId() + "' is already in " + dir);
        if (spoolChannel == null) startSpool();
        Map<String, ClipRecord.TensorSpec> specs = new LinkedHashMap<>();
        for (ShardTensor t : tensors) {
            String key = record.clipId() + "/" + t.name();
            if (specs.containsKey(t.name())) throw new IllegalArgumentException("clip '" + record.clipId() + "': tensor '" + t.name() + "' given twice");
            long begin = spoolBytes;
            ByteBuffer b = t.data().asByteBuffer();
            while (b.hasRemaining()) spoolChannel.write(b);
            spoolBytes += t.data().byteSize();
            pendingOffsets.put(key, new long[]{begin, spoolBytes});
            ClipRecord.TensorSpec spec = new ClipRecord.TensorSpec(t.dtype().code(), t.shape().clone());
            pendingSpecs.put(key, spec);
            specs.put(t.name(), spec);
        }
        pendingRecords.add(record.withTensors(specs));
        if (pendingRecords.size() >= clipsPerShard || spoolBytes >= maxShardBytes) finishShard();
    }

    /** Writes the open shard (if it has clips) and lists it in the manifest. */
    public synchronized void flush() throws IOException {
        if (!pendingRecords.isEmpty()) finishShard();
    }

    private void startSpool() throws IOException {
        spool = Files.createTempFile(dir, ".spool-", ".part");
        spoolChannel = FileChannel.open(spool, StandardOpenOption.WRITE, StandardOpenOption.READ);
        spoolBytes = 0;
    }

    private void finishShard() throws IOException {
        String base = String.format(Locale.ROOT, "shard-%06d", shards.size());
        Path data = dir.resolve(base + ".safetensors");
        Path index = dir.resolve(base + ".jsonl");
        ByteBuffer head = header();
        AtomicFiles.write(data, tmp -> {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (head.hasRemaining()) out.write(head);
                long pos = 0;
                while (pos < spoolBytes) pos += spoolChannel.transferTo(pos, spoolBytes - pos, out);
            }
        });
        AtomicFiles.write(index, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (ClipRecord r : pendingRecords) {
                    w.write(JSON.writeValueAsString(r));
                    w.write('\n');
                }
            }
        });
        shards.add(new ShardSet.Shard(data.getFileName().toString(), index.getFileName().toString(),
                pendingRecords.size(), clips, Files.size(data)));
        clips += pendingRecords.size();
        new ShardSet(ShardSet.FORMAT, ShardSet.VERSION, clips, List.copyOf(shards)).write(dir);
        pendingRecords.clear();
        pendingOffsets.clear();
        pendingSpecs.clear();
        dropSpool();
    }

    private ByteBuffer header() throws IOException {
        ObjectNode h = JSON.createObjectNode();
        h.putObject("__metadata__").put("format", ShardSet.FORMAT).put("version", String.valueOf(ShardSet.VERSION));
        for (var e : pendingOffsets.entrySet()) {
            ClipRecord.TensorSpec spec = pendingSpecs.get(e.getKey());
            ObjectNode t = h.putObject(e.getKey());
            t.put("dtype", spec.dtype());
            ArrayNode shape = t.putArray("shape");
            for (long d : spec.shape()) shape.add(d);
            t.putArray("data_offsets").add(e.getValue()[0]).add(e.getValue()[1]);
        }
        byte[] json = JSON.writeValueAsBytes(h);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        return head.flip();
    }

    private void dropSpool() throws IOException {
        if (spoolChannel != null) spoolChannel.close();
        if (spool != null) Files.deleteIfExists(spool);
        spoolChannel = null;
        spool = null;
        spoolBytes = 0;
    }

    /** Writes the last shard and the manifest. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        try {
            flush();
            if (shards.isEmpty()) ShardSet.empty().write(dir);
        } finally {
            closed = true;
            dropSpool();
        }
    }

    /** Drops the open shard without writing it (completed shards stay). */
    public synchronized void abort() {
        closed = true;
        try {
            dropSpool();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
