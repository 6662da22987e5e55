package dev.zoetrope.core.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The entries of a zip archive (zip64 included), read from a mapping of the whole file. Nothing in the archive is
 * trusted: every size and offset is checked against the file before it is used, so a damaged or hostile archive gives
 * a {@link TorchCheckpointException}, never a read outside the file or an allocation the file cannot back.
 *
 * <p>The JDK's {@code ZipFile} is not used because it does not tell where an entry's bytes start, which is what lets
 * a stored (uncompressed) tensor be read straight from the mapping.
 */
final class ZipDirectory {
    static final int STORED = 0, DEFLATED = 8;
    /** More entries than this is not a checkpoint (one entry per storage; large models have a few thousand). */
    static final int MAX_ENTRIES = 1 << 20;
    /** Deflate cannot expand data by more than about 1032:1; a larger claim is a lie (a zip bomb). */
    private static final long MAX_DEFLATE_RATIO = 1100;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int EOCD_SIG = 0x06054b50, ZIP64_LOCATOR_SIG = 0x07064b50, ZIP64_EOCD_SIG = 0x06064b50;
    private static final int CENTRAL_SIG = 0x02014b50, LOCAL_SIG = 0x04034b50;

    /** One file of the archive; {@code dataOffset} is where its (possibly compressed) bytes start in the file. */
    record Entry(String name, int method, long compressedSize, long size, long dataOffset, int crc) {}

    private final Path path;
    private final MemorySegment file;
    private final long size;

    private ZipDirectory(Path path, MemorySegment file) {
        this.path = path;
        this.file = file;
        this.size = file.byteSize();
    }

    /** Whether {@code file} ends with a zip end-of-central-directory record. */
    static boolean looksLikeZip(MemorySegment file) {
        return new ZipDirectory(null, file).findEocd() >= 0;
    }

    /** The entries by name, in archive order. */
    static Map<String, Entry> read(Path path, MemorySegment file) {
        return new ZipDirectory(path, file).entries();
    }

    private TorchCheckpointException corrupt(String problem) {
        return new TorchCheckpointException(path, "corrupt zip archive: " + problem);
    }

    private void need(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset)
            throw corrupt(what + " (" + length + " bytes at offset " + offset + ") lies outside the file of " + size
                    + " bytes (truncated?)");
    }

    private int u16(long off) {
        return file.get(U16, off) & 0xFFFF;
    }

    private long u32(long off) {
        return file.get(U32, off) & 0xFFFFFFFFL;
    }

    /** A zip64 field is unsigned; one above Long.MAX_VALUE is as out of range as any other impossible size. */
    private long u64(long off, String what) {
        long v = file.get(U64, off);
        if (v < 0) throw corrupt(what + " " + Long.toUnsignedString(v) + " is out of range");
        return v;
    }

    /** The offset of the end-of-central-directory record, found from the end (a comment may follow it), or -1. */
    private long findEocd() {
        if (size < 22) return -1;
        for (long p = size - 22; p >= Math.max(0, size - 22 - 0xFFFF); p--)
            if (file.get(U32, p) == EOCD_SIG && p + 22 + u16(p + 20) == size) return p;
        return -1;
    }

    private Map<String, Entry> entries() {
        long eocd = findEocd();
        if (eocd < 0) throw corrupt("no end-of-central-directory record (not a zip file, or truncated)");
        if (u16(eocd + 4) != 0 || u16(eocd + 6) != 0) throw corrupt("multi-disk archives are not supported");
        long count = u16(eocd + 10), cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16);
        long cdLimit = eocd; // the central directory lies before the record that describes it
        if (eocd >= 20 && file.get(U32, eocd - 20) == ZIP64_LOCATOR_SIG) {
            long z = u64(eocd - 20 + 8, "zip64 record offset");
            need(z, 56, "zip64 end-of-central-directory record");
            if (file.get(U32, z) != ZIP64_EOCD_SIG) throw corrupt("zip64 locator points at no zip64 record");
            if (z >= eocd - 20) throw corrupt("zip64 record overlaps its locator");
            long count64 = u64(z + 32, "entry count"), size64 = u64(z + 40, "central directory size");
            long offset64 = u64(z + 48, "central directory offset");
            // Where the 32-bit record has a real value (not the 0xFF.. escape), both records must agree.
            if (count != 0xFFFF && count != count64 || cdSize != 0xFFFFFFFFL && cdSize != size64
                    || cdOffset != 0xFFFFFFFFL && cdOffset != offset64)
                throw corrupt("the zip64 and the classic end records disagree");
            count = count64;
            cdSize = size64;
            cdOffset = offset64;
            cdLimit = z;
        } else if (count == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {
            throw corrupt("zip64 sizes without a zip64 record");
        }
        if (count > MAX_ENTRIES) throw corrupt(count + " entries, more than the " + MAX_ENTRIES + " a checkpoint can have");
        need(cdOffset, cdSize, "central directory");
        if (cdOffset + cdSize > cdLimit) throw corrupt("central directory overlaps its end record");
        if (count * 46 > cdSize) throw corrupt(count + " entries do not fit in a central directory of " + cdSize + " bytes");

        Map<String, Entry> out = new LinkedHashMap<>();
        long pos = cdOffset, cdEnd = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            if (pos + 46 > cdEnd || file.get(U32, pos) != CENTRAL_SIG)
                throw corrupt("central directory entry " + i + " is malformed");
            int flags = u16(pos + 8), method = u16(pos + 10), crc = file.get(U32, pos + 16);
            int nameLen = u16(pos + 28), extraLen = u16(pos + 30), commentLen = u16(pos + 32), disk = u16(pos + 34);
            long next = pos + 46 + nameLen + extraLen + commentLen;
            if (next > cdEnd) throw corrupt("central directory entry " + i + " runs past the directory");
            String name = new String(file.asSlice(pos + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            // size, compressed size, local header offset; a value of 0xFFFFFFFF is in the zip64 extra field instead
            long[] v = {u32(pos + 24), u32(pos + 20), u32(pos + 42)};
            String[] what = {"size", "compressed size", "offset"};
            long extra = pos + 46 + nameLen, extraEnd = extra + extraLen;
            while (extra + 4 <= extraEnd) {
                int id = u16(extra), len = u16(extra + 2);
                long body = extra + 4, f = body;
                if (body + len > extraEnd) throw corrupt("extra field of '" + name + "' runs past its entry");
                for (int k = 0; id == 0x0001 && k < 3; k++) { // zip64: the escaped values, in this order
                    if (v[k] != 0xFFFFFFFFL) continue;
                    if (f + 8 > body + len) throw corrupt("zip64 field of '" + name + "' is too short");
                    v[k] = u64(f, what[k] + " of '" + name + "'");
                    f += 8;
                }
                extra = body + len;
            }
            long usize = v[0], csize = v[1], local = v[2];
            if (disk != 0 && disk != 0xFFFF) throw corrupt("entry '" + name + "' is on another disk");
            if ((flags & 1) != 0) throw new TorchCheckpointException(path, "entry '" + name + "' is encrypted");
            if (method != STORED && method != DEFLATED)
                throw new TorchCheckpointException(path, "entry '" + name + "' uses zip compression method " + method
                        + "; only stored and deflated entries are read");
            if (method == STORED && csize != usize)
                throw corrupt("stored entry '" + name + "' has compressed size " + csize + " but size " + usize);
            if (method == DEFLATED && usize / MAX_DEFLATE_RATIO > csize)
                throw corrupt("deflated entry '" + name + "' claims " + usize + " bytes from " + csize);
            need(local, 30, "local header of '" + name + "'");
            if (file.get(U32, local) != LOCAL_SIG) throw corrupt("entry '" + name + "' points at no local header");
            int localNameLen = u16(local + 26);
            need(local, 30L + localNameLen + u16(local + 28), "local header of '" + name + "'");
            if (localNameLen != nameLen || file.asSlice(local + 30, nameLen).mismatch(file.asSlice(pos + 46, nameLen)) != -1)
                throw corrupt("local header of '" + name + "' names another file");
            long data = local + 30 + localNameLen + u16(local + 28);
            need(data, csize, "data of '" + name + "'");
            if (data + csize > cdOffset) throw corrupt("data of '" + name + "' overlaps the central directory");
            if (out.put(name, new Entry(name, method, csize, usize, data, crc)) != null)
                throw corrupt("entry '" + name + "' appears twice");
            pos = next;
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The uncompressed bytes of a small entry (at most {@code limit} bytes, e.g. a pickle), checked against its CRC.
     * Stored entries are copied from the mapping; deflated ones are inflated into exactly their declared size.
     */
    static byte[] readSmall(Path path, MemorySegment file, Entry e, long limit) {
        if (e.size() > limit)
            throw new TorchCheckpointException(path, "entry '" + e.name() + "' is " + e.size() + " bytes, over the limit of " + limit);
        byte[] out;
        if (e.method() == STORED) {
            out = file.asSlice(e.dataOffset(), e.size()).toArray(ValueLayout.JAVA_BYTE);
        } else {
            out = new byte[(int) e.size()];
            inflate(path, file, e, MemorySegment.ofArray(out));
        }
        CRC32 crc = new CRC32();
        crc.update(out);
        if ((int) crc.getValue() != e.crc())
            throw new TorchCheckpointException(path, "entry '" + e.name() + "' fails its CRC check (corrupt file)");
        return out;
    }

    /** Inflates a deflated entry into {@code dst}, which must be exactly the entry's declared size. */
    static void inflate(Path path, MemorySegment file, Entry e, MemorySegment dst) {
        Inflater inf = new Inflater(true);
        try {
            MemorySegment in = file.asSlice(e.dataOffset(), e.compressedSize());
            long fed = 0, done = 0;
            int chunk = 1 << 20;
            while (true) {
                if (inf.needsInput() && fed < in.byteSize()) {
                    long n = Math.min(chunk, in.byteSize() - fed);
                    inf.setInput(in.asSlice(fed, n).asByteBuffer());
                    fed += n;
                }
                // One byte of room past the declared size, so a stream that is longer than declared shows itself.
                byte[] spare = new byte[1];
                int n = done < e.size() ? inf.inflate(dst.asSlice(done, Math.min(chunk, e.size() - done)).asByteBuffer())
                        : inf.inflate(spare);
                if (done >= e.size() && n > 0)
                    throw new TorchCheckpointException(path, "entry '" + e.name() + "' inflates to more than its declared "
                            + e.size() + " bytes (corrupt file)");
                done += n;
                if (inf.finished() || n == 0 && inf.needsInput() && fed == in.byteSize() || inf.needsDictionary()) break;
            }
            if (done != e.size() || !inf.finished())
                throw new TorchCheckpointException(path, "entry '" + e.name() + "' does not inflate to its declared "
                        + e.size() + " bytes (corrupt file)");
        } catch (DataFormatException ex) {
            throw new TorchCheckpointException(path, "entry '" + e.name() + "' is not valid deflate data: " + ex.getMessage(), ex);
        } finally {
            inf.end();
        }
    }
}
