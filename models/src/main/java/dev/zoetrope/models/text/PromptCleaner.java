package dev.zoetrope.models.text;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Wan's prompt cleaning before tokenisation: HTML entities decoded twice (so {@code &amp;amp;} becomes
 * {@code &}), then every run of whitespace collapsed to one space and the ends stripped. Case is kept.
 *
 * <p>Entity decoding follows Python's {@code html.unescape}: decimal and hex character references (with or
 * without the {@code ;}, Windows-1252 fixes for 0x80–0x9F, U+FFFD for invalid code points) and named
 * entities; the named table holds the HTML Latin-1 set, the markup characters, and the common typographic
 * ones (dashes, quotes, ellipsis, trademark, euro...), not the whole HTML5 list. Wan also runs {@code ftfy} to
 * repair mojibake first; that repair is <em>not</em> done here, so text must already be correctly decoded.
 */
public final class PromptCleaner {
    private static final Pattern ENTITY = Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");

    /** Names that HTML accepts without a trailing semicolon (the legacy Latin-1 set and the markup characters). */
    private static final Map<String, String> LEGACY = new HashMap<>();
    /** Names that need the semicolon. */
    private static final Map<String, String> NAMED = new HashMap<>();

    static {
        String[] latin1 = ("nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn "
                + "sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc "
                + "Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute "
                + "Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml "
                + "aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde "
                + "ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml").split(" ");
        if (latin1.length != 96) throw new AssertionError("the Latin-1 entities cover U+00A0..U+00FF");
        // In HTML these name U+00A0..U+00FF in order.
        for (int i = 0; i < latin1.length; i++) LEGACY.put(latin1[i], Character.toString(0xA0 + i));
        for (String[] e : new String[][]{{"amp", "&"}, {"AMP", "&"}, {"lt", "<"}, {"LT", "<"}, {"gt", ">"}, {"GT", ">"},
                {"quot", "\""}, {"QUOT", "\""}, {"COPY", "©"}, {"REG", "®"}})
            LEGACY.put(e[0], e[1]);
        NAMED.putAll(LEGACY);
        int[] codes = {0x27, 0x2026, 0x2014, 0x2013, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E, 0x2022, 0x2122, 0x20AC,
                0x2020, 0x2021, 0x2030, 0x2039, 0x203A, 0x2032, 0x2033, 0x203E, 0x2044, 0x2190, 0x2192, 0x2191, 0x2193, 0x2194,
                0x2665, 0x2660, 0x2663, 0x2666, 0x221E, 0x2260, 0x2264, 0x2265, 0x2212, 0x2248, 0x2009, 0x2002, 0x2003, 0x200D,
                0x200C, 0x200E, 0x200F, 0x152, 0x153, 0x160, 0x161, 0x178, 0x192, 0x2C6, 0x2DC, 0x9, 0xA};
        String[] names = ("apos hellip mdash ndash lsquo rsquo sbquo ldquo rdquo bdquo bull trade euro dagger Dagger permil "
                + "lsaquo rsaquo prime Prime oline frasl larr rarr uarr darr harr hearts spades clubs diams infin ne le ge minus "
                + "asymp thinsp ensp emsp zwj zwnj lrm rlm OElig oelig Scaron scaron Yuml fnof circ tilde Tab NewLine").split(" ");
        if (names.length != codes.length) throw new AssertionError("entity names and code points differ in number");
        for (int i = 0; i < names.length; i++) NAMED.put(names[i], Character.toString(codes[i]));
    }

    /** Windows-1252 characters that HTML substitutes for references to 0x80..0x9F (0 where it keeps the code). */
    private static final int[] CP1252 = {0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
            0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161,
            0x203A, 0x0153, 0, 0x017E, 0x0178};

    private PromptCleaner() {}

    /** The prompt as Wan feeds it to the tokenizer (without ftfy's repair). */
    public static String clean(String prompt) {
        String text = unescapeHtml(unescapeHtml(prompt));
        return collapseWhitespace(text);
    }

    /** Decodes HTML character references and named entities once. */
    public static String unescapeHtml(String text) {
        if (text.indexOf('&') < 0) return text;
        Matcher m = ENTITY.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(decode(m.group(1))));
        m.appendTail(out);
        return out.toString();
    }

    private static String decode(String ref) {
        if (ref.startsWith("#")) {
            boolean hex = ref.length() > 1 && (ref.charAt(1) == 'x' || ref.charAt(1) == 'X');
            String digits = ref.substring(hex ? 2 : 1, ref.endsWith(";") ? ref.length() - 1 : ref.length());
            long code = 0;
            for (char c : digits.toCharArray()) {
                code = code * (hex ? 16 : 10) + Character.digit(c, hex ? 16 : 10);
                if (code > 0x10FFFF) break;
            }
            return charRef(code);
        }
        if (ref.endsWith(";")) {
            String v = NAMED.get(ref.substring(0, ref.length() - 1));
            if (v != null) return v;
        } else if (LEGACY.containsKey(ref)) {
            return LEGACY.get(ref);
        }
        // Otherwise the longest legacy name at the start is decoded and the rest kept.
        for (int n = ref.length() - 1; n > 1; n--) {
            String v = LEGACY.get(ref.substring(0, n));
            if (v != null) return v + ref.substring(n);
        }
        return "&" + ref;
    }

    private static String charRef(long code) {
        if (code == 0) return "\uFFFD";
        if (code == 0x0D) return "\r";
        if (code >= 0x80 && code <= 0x9F) {
            int c = CP1252[(int) code - 0x80];
            return Character.toString(c != 0 ? c : (int) code);
        }
        if (code >= 0xD800 && code <= 0xDFFF || code > 0x10FFFF) return "\uFFFD";
        int c = (int) code;
        boolean invalid = c >= 0x1 && c <= 0x8 || c == 0xB || c >= 0xE && c <= 0x1F || c == 0x7F
                || c >= 0xFDD0 && c <= 0xFDEF || (c & 0xFFFE) == 0xFFFE;
        return invalid ? "" : Character.toString(c);
    }

    /** Collapses every whitespace run to one space and strips both ends (Python's {@code str.isspace} set). */
    public static String collapseWhitespace(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (isSpace(c)) {
                pendingSpace = true;
            } else {
                if (pendingSpace && !out.isEmpty()) out.append(' ');
                pendingSpace = false;
                out.appendCodePoint(c);
            }
        }
        return out.toString();
    }

    private static boolean isSpace(int c) {
        return c >= 0x1C && c <= 0x1F || HuggingFaceTokenizer.isWhiteSpace(c);
    }
}
