package dev.zoetrope.train.shards;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.zoetrope.core.safetensors.SafetensorsFile;

/**
 * Reads a shard directory written by {@link ShardWriter}: sequentially ({@link #iterator()}, one shard open at a
 * time) or by random access ({@link #get(long)} by global position, {@link #get(String)} by clip id). Open shard
 * files are memory-mapped and kept in a small LRU cache, so a set of thousands of shards is fine.
 */
public final class ShardReader implements AutoCloseable, Iterable<ShardClip> {
    private static final ObjectMapper JSON = ShardSet.JSON;
    private static final int OPEN_FILES = 8;

    private final Path dir;
    private final ShardSet set;
    private final long[] starts;
    private final Map<Integer, List<ClipRecord>> indexCache = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Integer, SafetensorsFile> fileCache = new LinkedHashMap<>(16, 0.75f, true);
    private Map<String, Long> byId;

    private ShardReader(Path dir, ShardSet set) {
        this.dir = dir;
        this.set = set;
        this.starts = new long[set.shards().size()];
        long pos = 0;
        for (int i = 0; i < starts.length; i++) {
            starts[i] = pos;
            pos += set.shards().get(i).clips();
        }
        if (pos != set.clips())
            throw new ShardException(dir.resolve(ShardSet.MANIFEST), "clip count " + set.clips() + " differs from the shards' sum " + pos);
    }

    /** Opens a shard directory; throws {@link ShardException} naming the problem if it is not one. */
    public static ShardReader open(Path dir) {
        if (!Files.isDirectory(dir)) throw new ShardException(dir, "not a directory");
        return new ShardReader(dir, ShardSet.read(dir));
    }

    public Path dir() {
        return dir;
    }

    public ShardSet manifest() {
        return set;
    }

    /** Number of clips. */
    public long size() {
        return set.clips();
    }

    /** The clip at global position {@code i} (0 ≤ i < size). */
    public synchronized ShardClip get(long i) {
        if (i < 0 || i >= set.clips()) throw new IndexOutOfBoundsException("clip " + i + " of " + set.clips() + " in " + dir);
        int s = Arrays.binarySearch(starts, i);
        if (s < 0) s = -s - 2;
        while (s + 1 < starts.length && starts[s + 1] <= i) s++;
        return new ShardClip(index(s).get((int) (i - starts[s])), file(s));
    }

    /** The clip with this id, if stored. The id map is built on first use from the JSONL indices. */
    public synchronized Optional<ShardClip> get(String clipId) {
        if (byId == null) {
            Map<String, Long> m = new HashMap<>();
            long pos = 0;
            for (ClipRecord r : records()) m.put(r.clipId(), pos++);
            byId = m;
        }
        Long pos = byId.get(clipId);
        return pos == null ? Optional.empty() : Optional.of(get(pos));
    }

    /** All clip records in order, read from the JSONL indices only (no tensor data). */
    public Iterable<ClipRecord> records() {
        return () -> new Iterator<>() {
            int shard = 0;
            int row = 0;
            List<ClipRecord> rows = List.of();

            @Override
            public boolean hasNext() {
                while (row >= rows.size() && shard < starts.length) {
                    rows = readIndex(shard++);
                    row = 0;
                }
                return row < rows.size();
            }

            @Override
            public ClipRecord next() {
                if (!hasNext()) throw new NoSuchElementException();
                return rows.get(row++);
            }
        };
    }

    /** Every clip in order; each clip's tensors stay readable while the reader is open. */
    @Override
    public Iterator<ShardClip> iterator() {
        return new Iterator<>() {
            long i = 0;

            @Override
            public boolean hasNext() {
                return i < set.clips();
            }

            @Override
            public ShardClip next() {
                if (!hasNext()) throw new NoSuchElementException();
                return get(i++);
            }
        };
    }

    private List<ClipRecord> index(int shard) {
        List<ClipRecord> rows = indexCache.get(shard);
        if (rows == null) {
            rows = readIndex(shard);
            indexCache.put(shard, rows);
            if (indexCache.size() > OPEN_FILES) {
                Iterator<Integer> it = indexCache.keySet().iterator();
                it.next();
                it.remove();
            }
        }
        return rows;
    }

    private List<ClipRecord> readIndex(int shard) {
        ShardSet.Shard info = set.shards().get(shard);
        Path file = dir.resolve(info.index());
        List<ClipRecord> rows = new ArrayList<>(info.clips());
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                try {
                    rows.add(JSON.readValue(line, ClipRecord.class));
                } catch (IOException | IllegalArgumentException e) {
                    throw new ShardException(file, "line " + n + " is not a clip record: " + e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new ShardException(file, "cannot read: " + e.getMessage(), e);
        }
        if (rows.size() != info.clips())
            throw new ShardException(file, "holds " + rows.size() + " clips but " + ShardSet.MANIFEST + " says " + info.clips());
        return rows;
    }

    private SafetensorsFile file(int shard) {
        SafetensorsFile f = fileCache.get(shard);
        if (f == null) {
            f = SafetensorsFile.open(dir.resolve(set.shards().get(shard).data()));
            fileCache.put(shard, f);
            if (fileCache.size() > OPEN_FILES) {
                Iterator<Map.Entry<Integer, SafetensorsFile>> it = fileCache.entrySet().iterator();
                SafetensorsFile old = it.next().getValue();
                it.remove();
                old.close();
            }
        }
        return f;
    }

    @Override
    public synchronized void close() {
        fileCache.values().forEach(SafetensorsFile::close);
        fileCache.clear();
    }
}
