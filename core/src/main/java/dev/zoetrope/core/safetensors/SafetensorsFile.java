package dev.zoetrope.core.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.io.MappedPages;
import dev.zoetrope.core.engine.Engine;

/**
 * One safetensors file, memory-mapped. The header is validated strictly when the file is opened; tensor
 * data is copied into engine memory only when a tensor is loaded, so a file larger than the heap is fine.
 */
public final class SafetensorsFile implements Weights {
    /** Headers larger than this are refused: real ones are a few MB at most. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final String SUPPORTED_DTYPES = String.join(", ",
            java.util.Arrays.stream(DType.values()).map(DType::code).toList());

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code path}; throws {@link SafetensorsException} naming the problem. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new SafetensorsException(path, "truncated: " + size + " bytes, less than the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, path);
            // The length is an unsigned 64-bit integer: a "negative" long is a huge length.
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 0 || headerLen > MAX_HEADER_BYTES)
                throw new SafetensorsException(path, "header length " + Long.toUnsignedString(headerLen)
                        + " is over the limit of " + MAX_HEADER_BYTES + " bytes (not a safetensors file, or corrupt)");
            if (headerLen < 2) throw new SafetensorsException(path, "header length " + headerLen + " is too small for JSON");
            if (8 + headerLen > size)
                throw new SafetensorsException(path, "truncated: header says " + headerLen + " bytes but the file has only "
                        + (size - 8) + " after the length");
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8, path);
            String header = decodeUtf8(hb.flip(), path);
            long dataSize = size - 8 - headerLen;
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(header, dataSize, meta, path);
            MemorySegment seg = dataSize == 0 ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_ONLY, 8 + headerLen, dataSize, arena);
            return new SafetensorsFile(path, arena, seg, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(meta));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new SafetensorsException(path, "no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(path, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new SafetensorsException(path, "truncated while reading the header");
            pos += n;
        }
    }

    private static String decodeUtf8(ByteBuffer bytes, Path path) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, "header is not valid UTF-8", e);
        }
    }

    static Map<String, TensorInfo> parseHeader(String header, long dataSize, Map<String, String> meta, Path path) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + " of the header)";
            throw new SafetensorsException(path, "header is not well-formed JSON: " + e.getOriginalMessage() + where, e);
        }
        if (root == null || !root.isObject()) throw new SafetensorsException(path, "header is not a JSON object");
        Map<String, TensorInfo> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw new SafetensorsException(path, "__metadata__ is not an object");
                for (Map.Entry<String, JsonNode> m : v.properties()) {
                    if (!m.getValue().isTextual())
                        throw new SafetensorsException(path, "__metadata__ value for '" + m.getKey() + "' is not a string");
                    meta.put(m.getKey(), m.getValue().textValue());
                }
                continue;
            }
            out.put(name, parseEntry(name, v, dataSize, path));
        }
        checkOverlaps(out.values(), path);
        return out;
    }

    private static TensorInfo parseEntry(String name, JsonNode v, long dataSize, Path path) {
        if (!v.isObject()) throw new SafetensorsException(path, "tensor '" + name + "': entry is not an object");
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new SafetensorsException(path, "tensor '" + name + "': missing dtype");
        DType dtype = DType.fromCode(dt.textValue()).orElseThrow(() ->
                new SafetensorsException(path, "tensor '" + name + "': unknown or unsupported dtype '" + dt.textValue()
                        + "' (supported: " + SUPPORTED_DTYPES + ")"));
        if (sh == null || !sh.isArray()) throw new SafetensorsException(path, "tensor '" + name + "': missing shape");
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0)
                throw new SafetensorsException(path, "tensor '" + name + "': shape entry " + d + " is not a non-negative integer");
            shape[i] = d.longValue();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException ex) {
                throw new SafetensorsException(path, "tensor '" + name + "': shape overflows");
            }
        }
        if (off == null || !off.isArray() || off.size() != 2)
            throw new SafetensorsException(path, "tensor '" + name + "': data_offsets must be [begin, end]");
        for (JsonNode o : off)
            if (!o.isIntegralNumber() || !o.canConvertToLong())
                throw new SafetensorsException(path, "tensor '" + name + "': data_offsets entry " + o + " is not an integer");
        long begin = off.get(0).longValue(), end = off.get(1).longValue();
        if (begin < 0 || end < 0) throw new SafetensorsException(path, "tensor '" + name + "': negative data offset");
        if (end < begin) throw new SafetensorsException(path, "tensor '" + name + "': end offset " + end + " is before begin " + begin);
        if (end > dataSize)
            throw new SafetensorsException(path, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                    + "] reach past the data section of " + dataSize + " bytes (truncated file?)");
        long expected;
        try {
            expected = Math.multiplyExact(numel, dtype.size());
        } catch (ArithmeticException ex) {
            throw new SafetensorsException(path, "tensor '" + name + "': byte length overflows");
        }
        if (end - begin != expected)
            throw new SafetensorsException(path, "tensor '" + name + "': " + dtype.code() + " " + java.util.Arrays.toString(shape)
                    + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkOverlaps(Collection<TensorInfo> infos, Path path) {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.byteLength() == 0) continue;
            if (prev != null && t.begin() < prev.end())
                throw new SafetensorsException(path, "tensors '" + prev.name() + "' and '" + t.name() + "' overlap");
            prev = t;
        }
    }

    @Override
    public Collection<String> names() {
        return tensors.keySet();
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Path source() {
        return path;
    }

    /** The raw little-endian bytes of one tensor as a read-only view of the mapping. */
    public MemorySegment segment(String name) {
        TensorInfo t = require(name);
        return data.asSlice(t.begin(), t.byteLength()).asReadOnly();
    }

    public byte[] bytes(String name) {
        return segment(name).toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public Tensor load(String name) {
        TensorInfo t = require(name);
        Engine.init();
        Tensor out = torch.empty(t.shape(), new TensorOptions(t.dtype().scalarType()), new MemoryFormatOptional());
        if (t.byteLength() > 0) {
            MemorySegment dst = MemorySegment.ofAddress(out.data_ptr().address()).reinterpret(t.byteLength());
            try {
                MemorySegment src = data.asSlice(t.begin(), t.byteLength());
                dst.copyFrom(src);
                MappedPages.release(src); // read once: the copy is what stays resident
            } catch (IllegalStateException e) {
                throw new SafetensorsException(path, "file was closed before tensor '" + name + "' was loaded", e);
            }
        }
        return out;
    }

    private TensorInfo require(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new SafetensorsException(path, "has no tensor '" + name + "'");
        return t;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
