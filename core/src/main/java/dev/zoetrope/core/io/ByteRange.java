package dev.zoetrope.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One byte range of an HTTP {@code Range} header (RFC 9110 §14.1.2), resolved against the file size. Both web
 * servers (the service's video downloads, the labelling page's clips) answer ranges through it.
 *
 * @param start first byte, inclusive
 * @param end last byte, inclusive
 */
public record ByteRange(long start, long end) {
    /** No part of the requested range lies within the file: answer 416 with {@code Content-Range: bytes *}{@code /size}. */
    public static final class UnsatisfiableException extends Exception {
        UnsatisfiableException() {
            super(null, null, false, false);
        }
    }

    /** The whole of a file of {@code size} bytes (empty when size is 0). */
    public static ByteRange whole(long size) {
        return new ByteRange(0, size - 1);
    }

    public long length() {
        return end - start + 1;
    }

    /** The {@code Content-Range} value of a 206 answer. */
    public String contentRange(long size) {
        return "bytes " + start + "-" + end + "/" + size;
    }

    /**
     * Parses a {@code Range} header; null means "send the whole file" (no header, a unit other than bytes,
     * several ranges, or a malformed header, which RFC 9110 lets a server ignore).
     */
    public static ByteRange parse(String header, long size) throws UnsatisfiableException {
        if (header == null) return null;
        String h = header.strip();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) return null;
        String spec = h.substring(6).strip();
        if (spec.contains(",")) return null;
        int dash = spec.indexOf('-');
        if (dash < 0) return null;
        String first = spec.substring(0, dash).strip();
        String last = spec.substring(dash + 1).strip();
        try {
            if (first.isEmpty()) {
                if (last.isEmpty()) return null;
                long suffix = Long.parseLong(last);
                if (suffix <= 0 || size == 0) throw new UnsatisfiableException();
                return new ByteRange(Math.max(0, size - suffix), size - 1);
            }
            long start = Long.parseLong(first);
            long end = last.isEmpty() ? size - 1 : Long.parseLong(last);
            if (start < 0 || (!last.isEmpty() && end < start)) return null;
            if (start >= size) throw new UnsatisfiableException();
            return new ByteRange(start, Math.min(end, size - 1));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Copies exactly this range of {@code file} to {@code out}; a file that shrank meanwhile is an error, not a short body. */
    public void copy(Path file, OutputStream out) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(start);
            byte[] buf = new byte[64 * 1024];
            long left = length();
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) throw new IOException(file.getFileName() + " ended " + left + " bytes before the range");
                out.write(buf, 0, n);
                left -= n;
            }
        }
    }
}
