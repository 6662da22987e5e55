package dev.zoetrope.models.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A SentencePiece precompiled character map: rewrite rules from UTF-8 byte sequences to replacement
 * strings (for example NFKC: {@code ½} → {@code 1⁄2}).
 *
 * <p>Layout: a little-endian uint32 byte size of the trie, the trie itself (a darts-clone double array of
 * uint32 units), then a blob of NUL-terminated replacement strings that the trie's values point into.
 * At each position the longest matching rule wins; text without a rule is copied one character at a time.
 */
final class CharsMap {
    private static final CharsMap IDENTITY = new CharsMap(new int[0], new byte[0]);

    private final int[] units;
    private final byte[] replacements;

    private CharsMap(int[] units, byte[] replacements) {
        this.units = units;
        this.replacements = replacements;
    }

    /** Parses a precompiled charsmap; an empty blob is the identity map. */
    static CharsMap parse(byte[] blob, String source) {
        if (blob.length == 0) return IDENTITY;
        if (blob.length <= 4) throw new TokenizerException(source + ": precompiled charsmap is truncated");
        long trieBytes = readU32(blob, 0);
        if (trieBytes >= blob.length - 4L || trieBytes % 4 != 0)
            throw new TokenizerException(source + ": precompiled charsmap trie size " + trieBytes
                    + " does not fit its " + blob.length + "-byte blob");
        int[] units = new int[(int) (trieBytes / 4)];
        for (int i = 0; i < units.length; i++) units[i] = (int) readU32(blob, 4 + 4 * i);
        byte[] repl = java.util.Arrays.copyOfRange(blob, 4 + (int) trieBytes, blob.length);
        return new CharsMap(units, repl);
    }

    boolean isIdentity() {
        return units.length == 0;
    }

    /** A rewrite of the input prefix: {@code consumed} input bytes become {@code replacement}. */
    record Match(int consumed, byte[] replacement) {}

    /**
     * The rewrite at {@code pos}: the longest rule that matches there, or else the one UTF-8 character at
     * {@code pos} unchanged.
     */
    Match prefix(byte[] text, int pos) {
        int bestLength = 0, bestValue = 0;
        if (units.length > 0) {
            // Darts-clone common-prefix search: follow one byte at a time; a unit whose label differs ends
            // the walk, and a unit with a leaf child marks a rule that ends here.
            int node = offset(unit(0));
            for (int i = pos; i < text.length; i++) {
                int label = text[i] & 0xFF;
                node ^= label;
                int u = unit(node);
                if ((u & 0x800000FF) != label) break;
                node ^= offset(u);
                if (((u >>> 8) & 1) != 0) {
                    bestLength = i - pos + 1;
                    bestValue = unit(node) & 0x7FFFFFFF;
                }
            }
        }
        if (bestLength == 0) {
            int n = Math.min(utf8Length(text[pos]), text.length - pos);
            return new Match(n, java.util.Arrays.copyOfRange(text, pos, pos + n));
        }
        if (bestValue >= replacements.length)
            throw new TokenizerException("precompiled charsmap points past its replacement strings");
        int end = bestValue;
        while (end < replacements.length && replacements[end] != 0) end++;
        return new Match(bestLength, java.util.Arrays.copyOfRange(replacements, bestValue, end));
    }

    /** Applies the map to the whole text (no whitespace rules): the Hugging Face {@code Precompiled} normaliser. */
    String apply(String text) {
        if (isIdentity()) return text;
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 16);
        for (int pos = 0; pos < in.length; ) {
            Match m = prefix(in, pos);
            out.writeBytes(m.replacement());
            pos += m.consumed();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Bytes of the UTF-8 character that starts with {@code lead} (1 for a stray continuation byte). */
    static int utf8Length(byte lead) {
        int b = lead & 0xFF;
        if (b < 0xC0) return 1;
        if (b < 0xE0) return 2;
        if (b < 0xF0) return 3;
        return 4;
    }

    private int unit(int index) {
        if (index < 0 || index >= units.length)
            throw new TokenizerException("precompiled charsmap trie is corrupt (unit " + index + " of " + units.length + ")");
        return units[index];
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }

    private static long readU32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }
}
