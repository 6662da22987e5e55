package dev.zoetrope.core.safetensors;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds {@code torch.save}-style files for tests, byte by byte and sharing no code with the reader: a pickle
 * assembler that emits the opcodes torch writes, and a zip writer on the JDK's {@link ZipOutputStream}.
 */
final class TorchFiles {
    private TorchFiles() {}

    /** A protocol-2 pickle, opcode by opcode. */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private int memo;

        Pickle op(int... bytes) {
            for (int b : bytes) out.write(b);
            return this;
        }

        Pickle proto() {
            return op(0x80, 2);
        }

        Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le(b.length, 4);
            out.writeBytes(b);
            return this;
        }

        Pickle integer(long v) {
            if (v >= 0 && v < 256) return op('K', (int) v);
            if (v >= 0 && v < 65536) return op('M', (int) v & 0xFF, (int) (v >> 8));
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                op('J');
                le(v, 4);
                return this;
            }
            op(0x8a, 8);
            le(v, 8);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle tuple(long... values) {
            op('(');
            for (long v : values) integer(v);
            return op('t');
        }

        /** Stores the top of the stack in the next memo slot (BINPUT) and returns the slot. */
        int put() {
            op('q', memo);
            return memo++;
        }

        Pickle get(int slot) {
            return op('h', slot);
        }

        Pickle raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        private void le(long v, int n) {
            for (int i = 0; i < n; i++) out.write((int) (v >> (8 * i)) & 0xFF);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** One tensor of a state dict: a view of storage {@code key} (of {@code storageClass}, {@code numel} elements). */
    record TensorSpec(String name, String storageClass, String key, long numel, long offset, long[] shape, long[] stride) {
        static TensorSpec contiguous(String name, String storageClass, String key, long... shape) {
            long[] stride = new long[shape.length];
            long n = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                stride[i] = n;
                n *= shape[i];
            }
            return new TensorSpec(name, storageClass, key, n, 0, shape, stride);
        }
    }

    /** Emits {@code torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())}. */
    static void tensor(Pickle p, TensorSpec t) {
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.op('(');
        p.op('(').str("storage").global("torch", t.storageClass()).str(t.key()).str("cpu").integer(t.numel()).op('t');
        p.op('Q'); // BINPERSID
        p.integer(t.offset()).tuple(t.shape()).tuple(t.stride());
        p.op(0x89); // requires_grad False
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('t').op('R');
    }

    /** A state dict pickle as torch.save writes it: an OrderedDict of tensors, with a _metadata attribute. */
    static byte[] stateDict(List<TensorSpec> tensors) {
        Pickle p = new Pickle().proto();
        p.global("collections", "OrderedDict").op(')').op('R');
        p.put();
        p.op('(');
        for (TensorSpec t : tensors) {
            p.str(t.name());
            tensor(p, t);
        }
        p.op('u'); // SETITEMS
        // state_dict()._metadata, set through BUILD as pickle does for an OrderedDict's attributes
        p.op('}').str("_metadata").op('}').str("").op('}').str("version").integer(1).op('s').op('s').op('s');
        p.op('b');
        return p.op('.').bytes();
    }

    /** Writes a torch.save-like zip: {@code root/data.pkl}, {@code root/data/<key>}, {@code root/version}. */
    static Path write(Path file, String root, byte[] pickle, Map<String, byte[]> storages, boolean deflate) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(root + "/data.pkl", pickle);
        storages.forEach((k, v) -> entries.put(root + "/data/" + k, v));
        entries.put(root + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return zip(file, entries, deflate);
    }

    static Path zip(Path file, Map<String, byte[]> entries, boolean deflate) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                if (!deflate) {
                    z.setMethod(ZipEntry.STORED);
                    z.setSize(e.getValue().length);
                    z.setCompressedSize(e.getValue().length);
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    z.setCrc(crc.getValue());
                }
                zip.putNextEntry(z);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    /**
     * A stored-only zip whose every central entry keeps its sizes and local header offset in a zip64 extra field (as
     * zip writers do for entries past 4 GB), with zip64 end records: the layout of a large torch.save file, small.
     */
    static Path zip64(Path file, Map<String, byte[]> entries) throws IOException {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(1 << 20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.nio.ByteBuffer cd = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8), data = e.getValue();
            CRC32 crc = new CRC32();
            crc.update(data);
            long local = out.position();
            out.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crc.getValue()).putInt(data.length).putInt(data.length)
                    .putShort((short) name.length).putShort((short) 0).put(name).put(data);
            cd.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crc.getValue()).putInt(-1).putInt(-1).putShort((short) name.length).putShort((short) 28)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(-1).put(name)
                    .putShort((short) 1).putShort((short) 24).putLong(data.length).putLong(data.length).putLong(local);
        }
        long cdOffset = out.position(), cdSize = cd.position();
        out.put(cd.flip());
        long z64 = out.position();
        out.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                .putLong(entries.size()).putLong(entries.size()).putLong(cdSize).putLong(cdOffset);
        out.putInt(0x07064b50).putInt(0).putLong(z64).putInt(1);
        out.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) -1).putShort((short) -1)
                .putInt(-1).putInt(-1).putShort((short) 0);
        Files.write(file, java.util.Arrays.copyOf(out.array(), out.position()));
        return file;
    }

    /** Little-endian float32 bytes. */
    static byte[] floats(float... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    /** 0, 1, 2, ... as float32. */
    static byte[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return floats(v);
    }
}
