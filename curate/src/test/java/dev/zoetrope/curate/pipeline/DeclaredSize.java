package dev.zoetrope.curate.pipeline;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * Rewrites the picture size an H.264 mp4 declares, everywhere a reader looks: the sequence parameter set in
 * {@code avcC}, the {@code avc1} sample entry and the {@code tkhd} track header. The coded frames stay small, so a
 * file of a few kilobytes claims a huge picture, as a hostile upload would. Box sizes and chunk offsets are fixed
 * up, since the SPS grows. Handles what {@code Mp4Writer} writes (one SPS, progressive, no scaling matrices).
 */
final class DeclaredSize {
    private static final Set<String> CONTAINERS = Set.of("moov", "trak", "mdia", "minf", "stbl");
    private static final Set<Integer> HIGH_PROFILES = Set.of(100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135);

    private DeclaredSize() {}

    /** Writes {@code in} to {@code out} with a declared size of {@code width × height} (multiples of 16). */
    static Path rewrite(Path in, Path out, int width, int height) throws Exception {
        if (width % 16 != 0 || height % 16 != 0) throw new IllegalArgumentException("multiples of 16 only");
        byte[] file = Files.readAllBytes(in);
        // Pass 1 finds how much the moov grows; pass 2 moves the chunk offsets of a moov-first file by that much.
        int moovAt = find(file, "moov"), mdatAt = find(file, "mdat");
        int moovSize = ByteBuffer.wrap(file, moovAt, 4).getInt();
        byte[] moov = Arrays.copyOfRange(file, moovAt, moovAt + moovSize);
        int delta = box(moov, width, height, 0).length - moovSize;
        byte[] fixed = box(moov, width, height, moovAt < mdatAt ? delta : 0);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(file, 0, moovAt);
        o.write(fixed);
        o.write(file, moovAt + moovSize, file.length - moovAt - moovSize);
        return Files.write(out, o.toByteArray());
    }

    private static int find(byte[] file, String type) {
        for (int at = 0; at + 8 <= file.length; ) {
            int size = ByteBuffer.wrap(file, at, 4).getInt();
            if (new String(file, at + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals(type)) return at;
            if (size < 8) break;
            at += size;
        }
        throw new IllegalArgumentException("no top-level " + type + " box");
    }

    /** One box, rebuilt with its children. */
    private static byte[] box(byte[] b, int width, int height, int offsetDelta) throws Exception {
        String type = new String(b, 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
        int childrenAt = switch (type) {
            case "stsd" -> 16;       // full box header, entry count
            case "avc1" -> 8 + 78;   // visual sample entry fields
            default -> CONTAINERS.contains(type) ? 8 : -1;
        };
        byte[] body = b.clone();
        ByteBuffer w = ByteBuffer.wrap(body);
        switch (type) {
            case "tkhd" -> {
                w.putInt(body.length - 8, width << 16);
                w.putInt(body.length - 4, height << 16);
            }
            case "avc1" -> {
                w.putShort(8 + 24, (short) width);
                w.putShort(8 + 26, (short) height);
            }
            case "stco" -> {
                int n = w.getInt(12);
                for (int i = 0; i < n; i++) w.putInt(16 + 4 * i, w.getInt(16 + 4 * i) + offsetDelta);
            }
            case "avcC" -> body = avcC(body, width, height);
            default -> { }
        }
        if (childrenAt < 0) return body;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(body, 0, childrenAt);
        for (int at = childrenAt; at < body.length; ) {
            int size = ByteBuffer.wrap(body, at, 4).getInt();
            o.write(box(Arrays.copyOfRange(body, at, at + size), width, height, offsetDelta));
            at += size;
        }
        byte[] out = o.toByteArray();
        ByteBuffer.wrap(out).putInt(0, out.length);
        return out;
    }

    private static byte[] avcC(byte[] b, int width, int height) {
        if ((b[13] & 0x1f) != 1) throw new IllegalArgumentException("expected one SPS");
        int spsLength = ByteBuffer.wrap(b, 14, 2).getShort() & 0xffff;
        byte[] sps = Arrays.copyOfRange(b, 16, 16 + spsLength);
        byte[] patched = sps(sps, width, height);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(b, 0, 14);
        o.write(patched.length >> 8);
        o.write(patched.length);
        o.write(patched, 0, patched.length);
        o.write(b, 16 + spsLength, b.length - 16 - spsLength);
        byte[] out = o.toByteArray();
        ByteBuffer.wrap(out).putInt(0, out.length);
        return out;
    }

    /** The SPS NAL unit with new macroblock counts; every other field is copied bit for bit. */
    private static byte[] sps(byte[] nal, int width, int height) {
        byte[] rbsp = unescape(Arrays.copyOfRange(nal, 1, nal.length));
        Bits r = new Bits(rbsp);
        Writer w = new Writer();
        int profile = r.u(8);
        w.u(profile, 8);
        w.u(r.u(16), 16); // constraint flags, level
        w.ue(r.ue());     // sps id
        if (HIGH_PROFILES.contains(profile)) {
            int chroma = r.ue();
            w.ue(chroma);
            if (chroma == 3) w.u(r.u(1), 1);
            w.ue(r.ue());
            w.ue(r.ue());
            w.u(r.u(1), 1);
            int scaling = r.u(1);
            if (scaling != 0) throw new IllegalArgumentException("scaling matrices are not handled");
            w.u(0, 1);
        }
        w.ue(r.ue()); // log2_max_frame_num_minus4
        int poc = r.ue();
        w.ue(poc);
        if (poc == 0) w.ue(r.ue());
        else if (poc == 1) throw new IllegalArgumentException("pic_order_cnt_type 1 is not handled");
        w.ue(r.ue());      // max_num_ref_frames
        w.u(r.u(1), 1);    // gaps_in_frame_num_allowed
        r.ue();
        r.ue();
        w.ue(width / 16 - 1);
        w.ue(height / 16 - 1);
        if (r.peek() != 1) throw new IllegalArgumentException("interlaced streams are not handled");
        // The rest, up to the stop bit, unchanged; then a new stop bit and alignment.
        int stop = rbsp.length * 8 - 1;
        while (((rbsp[stop / 8] >> (7 - stop % 8)) & 1) == 0) stop--;
        while (r.pos < stop) w.u(r.u(1), 1);
        w.u(1, 1);
        byte[] body = escape(w.bytes());
        byte[] out = new byte[body.length + 1];
        out[0] = nal[0];
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    private static byte[] unescape(byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int zeros = 0;
        for (byte x : b) {
            if (zeros >= 2 && x == 3) {
                zeros = 0;
                continue;
            }
            o.write(x);
            zeros = x == 0 ? zeros + 1 : 0;
        }
        return o.toByteArray();
    }

    private static byte[] escape(byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int zeros = 0;
        for (byte x : b) {
            if (zeros >= 2 && (x & 0xff) <= 3) {
                o.write(3);
                zeros = 0;
            }
            o.write(x);
            zeros = x == 0 ? zeros + 1 : 0;
        }
        return o.toByteArray();
    }

    private static final class Bits {
        final byte[] b;
        int pos;

        Bits(byte[] b) {
            this.b = b;
        }

        int peek() {
            return (b[pos / 8] >> (7 - pos % 8)) & 1;
        }

        int u(int n) {
            int v = 0;
            for (int i = 0; i < n; i++, pos++) v = (v << 1) | peek();
            return v;
        }

        int ue() {
            int zeros = 0;
            while (u(1) == 0) zeros++;
            return (1 << zeros) - 1 + u(zeros);
        }
    }

    private static final class Writer {
        final ByteArrayOutputStream o = new ByteArrayOutputStream();
        int cur, n;

        void u(int v, int bits) {
            for (int i = bits - 1; i >= 0; i--) {
                cur = (cur << 1) | ((v >>> i) & 1);
                if (++n == 8) {
                    o.write(cur);
                    cur = 0;
                    n = 0;
                }
            }
        }

        void ue(int v) {
            int x = v + 1, len = 32 - Integer.numberOfLeadingZeros(x);
            u(0, len - 1);
            u(x, len);
        }

        byte[] bytes() {
            if (n > 0) u(0, 8 - n);
            return o.toByteArray();
        }
    }
}
