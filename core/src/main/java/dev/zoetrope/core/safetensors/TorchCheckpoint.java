package dev.zoetrope.core.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.io.MappedPages;
import dev.zoetrope.core.safetensors.StatePickle.TensorRef;

/**
 * A PyTorch checkpoint written by {@code torch.save} (the zip format of torch 1.6 and later: {@code .pth}, {@code .pt},
 * {@code .bin}, {@code .ckpt}), read without running any of it.
 *
 * <p>The archive's {@code <name>/data.pkl} is interpreted by {@link StatePickle}, which knows only the handful of
 * names a state dict refers to and refuses every other one, so a hostile pickle cannot make it import or call anything.
 * What it yields is a description of each tensor (storage key, dtype, offset, shape, strides), checked against the
 * archive when the file is opened. Tensor bytes are read on {@link #load}: straight from the memory-mapped file for a
 * stored entry, as {@code torch.save} writes them, or inflated into memory for a deflated one.
 *
 * <p>Which dict is the state dict: the top-level dict if any of its values is a tensor. Otherwise, of its entries
 * that hold tensors (at any depth), the first of {@code state_dict}, {@code model_state_dict}, {@code model},
 * {@code module} that is present, or the only one, is descended into and the rule applied again; when several
 * remain and none has one of those names, all of them are kept under dotted names ({@code generator.x},
 * {@code discriminator.y}). Inside the chosen dict, nested dicts of tensors are flattened with dots, as
 * {@code state_dict()} names them, and values that are not tensors (counters, strings, lists) are ignored.
 */
public final class TorchCheckpoint implements Weights {
    /** A {@code data.pkl} larger than this is refused: a state dict's is a few MB even for huge models. */
    public static final long MAX_PICKLE_BYTES = 256L << 20;
    /** The first bytes of a legacy (pre-1.6) {@code torch.save} file: protocol 2, then the magic number as LONG1. */
    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c,
            0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};
    private static final List<String> WRAPPER_KEYS = List.of("state_dict", "model_state_dict", "model", "module");
    private static final int MAX_DEPTH = 32;

    /** A tensor's description and the archive entry of its storage. */
    private record Stored(TensorRef ref, ZipDirectory.Entry entry) {}

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final Map<String, TensorInfo> infos;
    private final Map<String, Stored> stored;

    private TorchCheckpoint(Path path, Arena arena, MemorySegment file, Map<String, TensorInfo> infos, Map<String, Stored> stored) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.infos = infos;
        this.stored = stored;
    }

    /** Opens and validates {@code path}; throws {@link TorchCheckpointException} naming the problem. */
    public static TorchCheckpoint open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) throw new TorchCheckpointException(path, "is empty");
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return read(path, arena, file);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new TorchCheckpointException(path, "no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new TorchCheckpointException(path, "cannot read: " + e.getMessage(), e);
        } catch (IndexOutOfBoundsException e) {
            // Every offset is checked before use; this is the backstop that keeps a missed check a clean refusal.
            arena.close();
            throw new TorchCheckpointException(path, "corrupt file: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Whether {@code file}'s first bytes are those of a {@code torch.save} file, new (zip) or legacy (pickle). */
    static boolean looksLikeTorch(byte[] head) {
        boolean zip = head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        return zip || startsWith(head, LEGACY_MAGIC);
    }

    private static boolean startsWith(byte[] head, byte[] prefix) {
        return head.length >= prefix.length && java.util.Arrays.equals(head, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static TorchCheckpoint read(Path path, Arena arena, MemorySegment file) {
        byte[] head = file.asSlice(0, Math.min(file.byteSize(), LEGACY_MAGIC.length)).toArray(ValueLayout.JAVA_BYTE);
        if (startsWith(head, LEGACY_MAGIC))
            throw new TorchCheckpointException(path, "is in PyTorch's legacy (pre-1.6) serialization format, which this"
                    + " reader does not load; re-save it with torch.save(torch.load(...)) on torch 1.6 or later, or convert"
                    + " it to safetensors");
        if (!ZipDirectory.looksLikeZip(file)) {
            if ((head[0] & 0xFF) == 0x80)
                throw new TorchCheckpointException(path, "is a bare pickle, not a torch.save checkpoint (a zip archive);"
                        + " convert it to safetensors where it was made");
            throw new TorchCheckpointException(path, "is not a PyTorch checkpoint: torch.save writes a zip archive, and this"
                    + " file has no zip directory (truncated, or another format)");
        }
        Map<String, ZipDirectory.Entry> entries = ZipDirectory.read(path, file);
        String root = archiveRoot(path, entries);

        ZipDirectory.Entry byteorder = entries.get(root + "/byteorder");
        if (byteorder != null) { // written since torch 2.1; older files are little-endian
            String order = new String(ZipDirectory.readSmall(path, file, byteorder, 16), StandardCharsets.US_ASCII).trim();
            if (order.equals("big"))
                throw new TorchCheckpointException(path, "was saved on a big-endian machine (byteorder 'big'); this reader"
                        + " reads little-endian checkpoints only: re-save it on a little-endian machine or convert it to safetensors");
            if (!order.equals("little")) throw new TorchCheckpointException(path, "byteorder entry says '" + order + "'");
        }
        byte[] pickle = ZipDirectory.readSmall(path, file, entries.get(root + "/data.pkl"), MAX_PICKLE_BYTES);
        Object value = StatePickle.load(path, pickle);
        Map<String, TensorRef> tensors = stateDict(path, value);

        Map<String, TensorInfo> infos = new TreeMap<>();
        Map<String, Stored> stored = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : tensors.entrySet()) {
            String name = e.getKey();
            TensorRef t = e.getValue();
            String key = t.storage().key();
            ZipDirectory.Entry data = entries.get(root + "/data/" + key);
            if (data == null)
                throw new TorchCheckpointException(path, "tensor '" + name + "' is in storage '" + key + "', which the archive"
                        + " lacks (no entry " + root + "/data/" + key + "; truncated?)");
            if (data.size() < t.storage().bytes())
                throw new TorchCheckpointException(path, "storage '" + key + "' of tensor '" + name + "' needs "
                        + t.storage().bytes() + " bytes but its entry holds " + data.size());
            long begin = t.offset() * t.dtype().size(); // cannot overflow: within the storage, checked above
            infos.put(name, new TensorInfo(name, t.dtype(), t.shape(), begin, begin + t.numel() * t.dtype().size()));
            stored.put(name, new Stored(t, data));
        }
        return new TorchCheckpoint(path, arena, file, Collections.unmodifiableMap(infos), stored);
    }

    /** The archive's top-level folder, the one holding {@code data.pkl}. */
    private static String archiveRoot(Path path, Map<String, ZipDirectory.Entry> entries) {
        List<String> roots = new ArrayList<>();
        for (String name : entries.keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash).equals("/data.pkl")) roots.add(name.substring(0, slash));
        }
        if (roots.isEmpty())
            throw new TorchCheckpointException(path, "is a zip archive without a <name>/data.pkl entry: not a torch.save checkpoint");
        if (roots.size() > 1) throw new TorchCheckpointException(path, "holds " + roots.size() + " archives " + roots);
        String root = roots.getFirst();
        if (entries.containsKey(root + "/constants.pkl") || entries.keySet().stream().anyMatch(n -> n.startsWith(root + "/code/")))
            throw new TorchCheckpointException(path, "is a TorchScript archive (torch.jit.save), whose pickle refers to compiled"
                    + " code; save the model's state_dict() with torch.save instead, or convert it to safetensors");
        return root;
    }

    /** Picks the state dict out of what the pickle holds, by the rule in the class comment. */
    private static Map<String, TensorRef> stateDict(Path path, Object value) {
        if (!(value instanceof Map<?, ?> dict))
            throw new TorchCheckpointException(path, "holds " + StatePickle.describe(value) + ", not a dict of tensors");
        for (int depth = 0; depth <= MAX_DEPTH; depth++) {
            if (dict.values().stream().anyMatch(v -> v instanceof TensorRef)) break;
            List<Object> holding = new ArrayList<>();
            for (Map.Entry<?, ?> e : dict.entrySet())
                if (e.getValue() instanceof Map<?, ?> m && holdsTensors(path, m, depth + 1)) holding.add(e.getKey());
            if (holding.isEmpty()) throw new TorchCheckpointException(path, "holds no tensors");
            Object pick = WRAPPER_KEYS.stream().<Object>map(k -> k).filter(holding::contains).findFirst()
                    .orElse(holding.size() == 1 ? holding.getFirst() : null);
            if (pick == null) break;
            dict = (Map<?, ?>) dict.get(pick);
        }
        Map<String, TensorRef> out = new TreeMap<>();
        flatten(path, dict, "", out, 0); // a wrapper's key is not part of the weights' names
        if (out.isEmpty()) throw new TorchCheckpointException(path, "holds no tensors");
        return out;
    }

    private static boolean holdsTensors(Path path, Map<?, ?> dict, int depth) {
        if (depth > MAX_DEPTH) throw new TorchCheckpointException(path, "nests dicts deeper than " + MAX_DEPTH + " levels");
        for (Object v : dict.values())
            if (v instanceof TensorRef || v instanceof Map<?, ?> m && holdsTensors(path, m, depth + 1)) return true;
        return false;
    }

    private static void flatten(Path path, Map<?, ?> dict, String prefix, Map<String, TensorRef> out, int depth) {
        if (depth > MAX_DEPTH) throw new TorchCheckpointException(path, "nests dicts deeper than " + MAX_DEPTH + " levels");
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            String key = switch (e.getKey()) {
                case String s -> s;
                case Long l -> l.toString();
                case null, default -> null; // not a name a weight can have
            };
            if (key == null) continue;
            String name = prefix + key;
            if (e.getValue() instanceof TensorRef t) {
                if (out.put(name, t) != null) throw new TorchCheckpointException(path, "names two tensors '" + name + "'");
            } else if (e.getValue() instanceof Map<?, ?> m) {
                flatten(path, m, name + ".", out, depth + 1);
            }
        }
    }

    @Override
    public Collection<String> names() {
        return infos.keySet();
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(infos.get(name));
    }

    @Override
    public Path source() {
        return path;
    }

    /**
     * Reads one tensor as a new contiguous engine tensor in its stored dtype. A view that is not contiguous in its
     * storage (a transposed or sliced tensor, a tied weight saved as a view) is materialised as a contiguous copy.
     */
    @Override
    public Tensor load(String name) {
        Stored s = stored.get(name);
        if (s == null) throw new TorchCheckpointException(path, "has no tensor '" + name + "'");
        TensorRef t = s.ref();
        Engine.init();
        long es = t.dtype().size();
        TensorOptions options = new TensorOptions(t.dtype().scalarType());
        if (t.numel() == 0) return torch.empty(t.shape(), options, new MemoryFormatOptional());
        // The elements the view reaches, from its first one: all of them when it is contiguous.
        long span = t.extent() - t.offset();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment storage = storageBytes(s, scratch);
            MemorySegment src = storage.asSlice(t.offset() * es, span * es);
            if (t.contiguous()) {
                Tensor out = torch.empty(t.shape(), options, new MemoryFormatOptional());
                MemorySegment.ofAddress(out.data_ptr().address()).reinterpret(span * es).copyFrom(src);
                MappedPages.release(src); // read once: the copy is what stays resident
                return out;
            }
            return Scopes.keep(() -> {
                Tensor flat = torch.empty(new long[]{span}, options, new MemoryFormatOptional());
                MemorySegment.ofAddress(flat.data_ptr().address()).reinterpret(span * es).copyFrom(src);
                MappedPages.release(src);
                return flat.as_strided(t.shape(), t.stride()).contiguous();
            });
        } catch (IllegalStateException e) {
            throw new TorchCheckpointException(path, "file was closed before tensor '" + name + "' was loaded", e);
        }
    }

    /** The storage's bytes: a slice of the mapping, or for a deflated entry, its inflated copy in {@code scratch}. */
    private MemorySegment storageBytes(Stored s, Arena scratch) {
        ZipDirectory.Entry e = s.entry();
        long bytes = s.ref().storage().bytes();
        if (e.method() == ZipDirectory.STORED) return file.asSlice(e.dataOffset(), bytes);
        MemorySegment inflated = scratch.allocate(e.size());
        ZipDirectory.inflate(path, file, e, inflated);
        return inflated.asSlice(0, bytes);
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
