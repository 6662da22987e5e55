package dev.zoetrope.core.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.io.AtomicFiles;

/**
 * Writes safetensors files: keys sorted, header padded with spaces to a multiple of 8, optional
 * {@code __metadata__}, written to a temporary file and renamed into place.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    /** A tensor's bytes to write: raw little-endian data of the given dtype and shape. */
    public record Entry(String name, DType dtype, long[] shape, MemorySegment data) {
        public Entry {
            shape = shape.clone();
            long expected = Math.multiplyExact(Tensors.numel(shape), dtype.size());
            if (data.byteSize() != expected)
                throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes for "
                        + dtype.code() + " " + java.util.Arrays.toString(shape) + " (needs " + expected + ")");
        }

        public static Entry of(String name, DType dtype, long[] shape, byte[] bytes) {
            return new Entry(name, dtype, shape, MemorySegment.ofArray(bytes));
        }
    }

    /** Writes engine tensors on the host (any dtype, any strides) in their own dtype. */
    public static void write(Path target, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(target, tensors, metadata, null);
    }

    /**
     * Writes engine tensors, casting the floating-point ones to {@code floatsAs} (for example to store a
     * bf16 checkpoint); integer and bool tensors keep their dtype. A null {@code floatsAs} casts nothing.
     */
    public static void write(Path target, Map<String, Tensor> tensors, Map<String, String> metadata, DType floatsAs)
            throws IOException {
        if (floatsAs != null && !floatsAs.isFloating())
            throw new IllegalArgumentException("can only cast floating-point tensors to a floating-point dtype, not " + floatsAs);
        try (PointerScope scope = new PointerScope()) {
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : new TreeMap<>(tensors).entrySet()) {
                Tensor t = e.getValue();
                // the bytes are read through the data pointer, which only a host tensor's is
                if (!t.is_cpu())
                    throw new IllegalArgumentException("tensor '" + e.getKey() + "' is on " + t.device().str().getString()
                            + "; bring it to the host to write it");
                if (floatsAs != null && Tensors.dtype(t).isFloating() && Tensors.dtype(t) != floatsAs)
                    t = t.to(floatsAs.scalarType());
                Tensor c = t.contiguous();
                long n = c.nbytes();
                MemorySegment seg = n == 0 ? MemorySegment.ofArray(new byte[0])
                        : MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(n);
                entries.add(new Entry(e.getKey(), Tensors.dtype(c), Tensors.shape(c), seg));
            }
            writeEntries(target, entries, metadata);
        }
    }

    public static void write(Path target, Map<String, Tensor> tensors) throws IOException {
        write(target, tensors, Map.of());
    }

    /** Writes raw entries; names must be unique. */
    public static void writeEntries(Path target, List<Entry> entries, Map<String, String> metadata) throws IOException {
        TreeMap<String, Entry> sorted = new TreeMap<>();
        for (Entry e : entries)
            if (sorted.put(e.name(), e) != null) throw new IllegalArgumentException("tensor '" + e.name() + "' given twice");
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : sorted.values()) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().code());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape()) shape.add(d);
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            offset += e.data().byteSize();
            off.add(offset);
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        AtomicFiles.write(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeAll(ch, head);
                for (Entry e : sorted.values()) {
                    long size = e.data().byteSize();
                    for (long pos = 0; pos < size; pos += 1 << 30) {
                        long n = Math.min(1 << 30, size - pos);
                        writeAll(ch, e.data().asSlice(pos, n).asByteBuffer());
                    }
                }
            }
        });
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
