package dev.zoetrope.serve;

/**
 * One byte range of an HTTP {@code Range} header (RFC 9110 §14.1.2), resolved against the file size.
 *
 * @param start first byte, inclusive
 * @param end last byte, inclusive
 */
record ByteRange(long start, long end) {
    /** No part of the requested range lies within the file: answer 416. */
    static final class UnsatisfiableException extends Exception {
        UnsatisfiableException() {
            super(null, null, false, false);
        }
    }

    long length() {
        return end - start + 1;
    }

    /**
     * Parses a {@code Range} header; null means "send the whole file" (no header, a unit other than bytes,
     * several ranges, or a malformed header, which RFC 9110 lets a server ignore).
     */
    static ByteRange parse(String header, long size) throws UnsatisfiableException {
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
}
