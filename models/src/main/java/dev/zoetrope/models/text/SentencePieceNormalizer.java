package dev.zoetrope.models.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * SentencePiece's text normalisation: the character map applied by longest prefix over UTF-8 bytes, then
 * the whitespace rules of the {@code NormalizerSpec}: drop leading, trailing and repeated spaces, add a
 * dummy {@code ▁} prefix, and write spaces as {@code ▁}. User-defined pieces pass through unchanged.
 */
final class SentencePieceNormalizer {
    static final String SPACE_SYMBOL = "\u2581";
    private static final byte[] SPACE_SYMBOL_UTF8 = SPACE_SYMBOL.getBytes(StandardCharsets.UTF_8);

    private final CharsMap map;
    private final boolean addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces;
    private final List<byte[]> userDefined;

    SentencePieceNormalizer(CharsMap map, boolean addDummyPrefix, boolean removeExtraWhitespaces,
                            boolean escapeWhitespaces, List<String> userDefined) {
        this.map = map;
        this.addDummyPrefix = addDummyPrefix;
        this.removeExtraWhitespaces = removeExtraWhitespaces;
        this.escapeWhitespaces = escapeWhitespaces;
        this.userDefined = userDefined.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    }

    String normalize(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        int pos = 0;
        if (removeExtraWhitespaces) {
            while (pos < in.length) {
                CharsMap.Match m = prefix(in, pos);
                if (!isSingleSpace(m.replacement())) break;
                pos += m.consumed();
            }
        }
        if (pos >= in.length) return "";

        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 3);
        if (addDummyPrefix) writeSpace(out);
        boolean prevSpace = removeExtraWhitespaces;
        while (pos < in.length) {
            CharsMap.Match m = prefix(in, pos);
            byte[] piece = m.replacement();
            int start = 0;
            // A rewrite that follows a space loses its own leading spaces.
            while (prevSpace && start < piece.length && piece[start] == ' ') start++;
            if (start < piece.length) {
                for (int i = start; i < piece.length; i++) {
                    if (piece[i] == ' ') writeSpace(out);
                    else out.write(piece[i]);
                }
                prevSpace = piece[piece.length - 1] == ' ';
            }
            pos += m.consumed();
            if (!removeExtraWhitespaces) prevSpace = false;
        }
        byte[] result = out.toByteArray();
        int length = result.length;
        if (removeExtraWhitespaces) {
            byte[] space = escapeWhitespaces ? SPACE_SYMBOL_UTF8 : new byte[]{' '};
            while (length >= space.length && endsWith(result, length, space)) length -= space.length;
        }
        return new String(result, 0, length, StandardCharsets.UTF_8);
    }

    private CharsMap.Match prefix(byte[] in, int pos) {
        int longest = 0;
        for (byte[] u : userDefined)
            if (u.length > longest && startsWith(in, pos, u)) longest = u.length;
        if (longest > 0) return new CharsMap.Match(longest, java.util.Arrays.copyOfRange(in, pos, pos + longest));
        return map.prefix(in, pos);
    }

    private void writeSpace(ByteArrayOutputStream out) {
        if (escapeWhitespaces) out.writeBytes(SPACE_SYMBOL_UTF8);
        else out.write(' ');
    }

    private static boolean isSingleSpace(byte[] b) {
        return b.length == 1 && b[0] == ' ';
    }

    private static boolean startsWith(byte[] text, int pos, byte[] prefix) {
        if (text.length - pos < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (text[pos + i] != prefix[i]) return false;
        return true;
    }

    private static boolean endsWith(byte[] text, int length, byte[] suffix) {
        return startsWith(text, length - suffix.length, suffix);
    }
}
