package dev.zoetrope.core.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Writes one safetensors file tensor by tensor, so a checkpoint larger than memory can be written while only one of
 * its tensors is held: the header is built up front from the planned (name, dtype, shape) list, then each tensor is
 * appended in plan order and checked against its plan (name, dtype, shape, byte size). The data goes to a temporary
 * file beside the target; {@link #commit} flushes it to disk and renames it into place, and {@link #close} without a
 * commit deletes it, so the target is either absent (or its old self) or complete.
 *
 * <p>Tensors are laid out in plan order (safetensors readers sort by offset, not by name).
 */
public final class SafetensorsStreamWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SLICE = 1L << 30;

    /** One tensor as it will be stored. */
    public record Planned(String name, DType dtype, long[] shape) {
        public Planned {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long byteLength() {
            return Math.multiplyExact(Tensors.numel(shape), dtype.size());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Planned p && name.equals(p.name) && dtype == p.dtype && Arrays.equals(shape, p.shape);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + " " + dtype.code() + " " + Arrays.toString(shape);
        }
    }

    private final Path target;
    private final Path tmp;
    private final FileChannel channel;
    private final List<Planned> plan;
    private final long dataBytes;
    private int next;
    private long written;
    private boolean done;

    private SafetensorsStreamWriter(Path target, Path tmp, FileChannel channel, List<Planned> plan, long dataBytes) {
        this.target = target;
        this.tmp = tmp;
        this.channel = channel;
        this.plan = plan;
        this.dataBytes = dataBytes;
    }

    /**
     * Starts {@code target}: writes the header for {@code plan} (names unique) to a temporary file beside it.
     *
     * @param metadata the header's {@code __metadata__} strings; may be empty
     */
    public static SafetensorsStreamWriter open(Path target, List<Planned> plan, Map<String, String> metadata) throws IOException {
        plan = List.copyOf(plan);
        Set<String> names = new HashSet<>();
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Planned p : plan) {
            if (p.name().equals("__metadata__") || !names.add(p.name()))
                throw new IllegalArgumentException("tensor name '" + p.name() + "' is reserved or given twice");
            ObjectNode t = header.putObject(p.name());
            t.put("dtype", p.dtype().code());
            ArrayNode shape = t.putArray("shape");
            for (long d : p.shape()) shape.add(d);
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            offset += p.byteLength();
            off.add(offset);
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".part");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            writeAll(ch, head);
            return new SafetensorsStreamWriter(abs, tmp, ch, plan, offset);
        } catch (IOException | RuntimeException e) {
            if (ch != null) ch.close();
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** The tensor the writer expects next, or null when every planned tensor is written. */
    public Planned next() {
        return next < plan.size() ? plan.get(next) : null;
    }

    /** Bytes of tensor data written so far (the header not counted). */
    public long written() {
        return written;
    }

    /** Bytes of tensor data the file will hold. */
    public long dataBytes() {
        return dataBytes;
    }

    /**
     * Appends the next planned tensor: {@code t} must have its name's dtype and shape (any strides; a CPU tensor).
     * Temporaries (a contiguous copy) are freed before this returns; {@code t} itself stays the caller's.
     */
    public void write(String name, Tensor t) throws IOException {
        Planned p = expect(name);
        // the bytes are read through the data pointer, which only a host tensor's is
        if (!t.is_cpu())
            throw new IllegalArgumentException("tensor '" + name + "' is on " + t.device().str().getString() + "; bring it to the host to write it");
        DType dtype = Tensors.dtype(t);
        long[] shape = Tensors.shape(t);
        if (dtype != p.dtype() || !Arrays.equals(shape, p.shape))
            throw new IllegalArgumentException("tensor '" + name + "' is " + dtype.code() + " " + Arrays.toString(shape)
                    + ", the plan says " + p.dtype().code() + " " + Arrays.toString(p.shape));
        try (PointerScope scope = new PointerScope()) {
            Tensor c = t.contiguous();
            long n = c.nbytes();
            append(p, n == 0 ? MemorySegment.ofArray(new byte[0]) : MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(n));
        }
    }

    /** Appends the next planned tensor from raw little-endian bytes (native memory or a {@code byte[]}). */
    public void write(String name, MemorySegment data) throws IOException {
        append(expect(name), data);
    }

    private Planned expect(String name) {
        if (done) throw new IllegalStateException(target + ": already committed or closed");
        Planned p = next();
        if (p == null) throw new IllegalArgumentException(target + ": every planned tensor is written; '" + name + "' is one too many");
        if (!p.name().equals(name))
            throw new IllegalArgumentException(target + ": expected tensor '" + p.name() + "' next, got '" + name + "'");
        return p;
    }

    private void append(Planned p, MemorySegment data) throws IOException {
        if (data.byteSize() != p.byteLength())
            throw new IllegalArgumentException("tensor '" + p.name() + "': " + data.byteSize() + " bytes for " + p + " (needs "
                    + p.byteLength() + ")");
        for (long pos = 0; pos < data.byteSize(); pos += SLICE)
            writeAll(channel, data.asSlice(pos, Math.min(SLICE, data.byteSize() - pos)).asByteBuffer());
        written += data.byteSize();
        next++;
    }

    /** Checks every planned tensor was written, flushes the file to disk and renames it to the target. */
    public void commit() throws IOException {
        if (done) throw new IllegalStateException(target + ": already committed or closed");
        if (next() != null)
            throw new IllegalStateException(target + ": " + (plan.size() - next) + " planned tensor(s) not written, the next is '"
                    + next().name() + "'");
        channel.force(true);
        channel.close();
        done = true;
        AtomicFiles.makeReadable(tmp);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Without a {@link #commit}, deletes the temporary file: the target is left as it was. */
    @Override
    public void close() throws IOException {
        if (done) return;
        done = true;
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
