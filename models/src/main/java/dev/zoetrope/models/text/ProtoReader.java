package dev.zoetrope.models.text;

import java.nio.charset.StandardCharsets;

/**
 * Reads the protobuf wire format: a sequence of (field number, wire type, value) records. Only what
 * a SentencePiece model needs: varints, 32/64-bit fixed values and length-delimited fields.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private final byte[] buf;
    private final String what;
    private int pos;
    private final int end;
    private int tag;

    ProtoReader(byte[] buf, String what) {
        this(buf, 0, buf.length, what);
    }

    private ProtoReader(byte[] buf, int start, int end, String what) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.what = what;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        long t = varint();
        if (t >>> 32 != 0 || (t >>> 3) == 0) throw broken("invalid field tag " + t);
        tag = (int) t;
        return true;
    }

    int field() {
        return tag >>> 3;
    }

    int wireType() {
        return tag & 7;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw broken("truncated varint");
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) return result;
        }
        throw broken("varint longer than 10 bytes");
    }

    /** An int32 field; negative values are stored sign-extended to 64 bits. */
    int int32() {
        expect(VARINT);
        return (int) varint();
    }

    boolean bool() {
        expect(VARINT);
        return varint() != 0;
    }

    float float32() {
        expect(FIXED32);
        if (end - pos < 4) throw broken("truncated float");
        int bits = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    byte[] bytes() {
        int n = length();
        byte[] out = java.util.Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }

    String string() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** The embedded message of the current field. */
    ProtoReader message(String name) {
        int n = length();
        ProtoReader sub = new ProtoReader(buf, pos, pos + n, what + " " + name);
        pos += n;
        return sub;
    }

    void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH_DELIMITED -> advance(length());
            case FIXED32 -> advance(4);
            default -> throw broken("unsupported wire type " + wireType() + " in field " + field());
        }
    }

    private int length() {
        expect(LENGTH_DELIMITED);
        long n = varint();
        if (n < 0 || n > end - pos) throw broken("field " + field() + " length " + n + " runs past the end");
        return (int) n;
    }

    private void advance(int n) {
        if (end - pos < n) throw broken("truncated field " + field());
        pos += n;
    }

    private void expect(int wireType) {
        if (wireType() != wireType)
            throw broken("field " + field() + " has wire type " + wireType() + ", expected " + wireType);
    }

    TokenizerException broken(String problem) {
        return new TokenizerException(what + ": not a valid SentencePiece model (" + problem + " at byte " + pos + ")");
    }
}
