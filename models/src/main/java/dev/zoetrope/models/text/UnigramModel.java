package dev.zoetrope.models.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.zoetrope.models.text.SentencePieceModel.Piece;
import dev.zoetrope.models.text.SentencePieceModel.PieceType;

/**
 * Unigram segmentation: the highest-scoring split of normalised text into pieces (Viterbi over the
 * piece lattice), with SentencePiece's rules for the edge cases. A character that no single-character piece
 * covers becomes the unknown piece with score {@code min(normal scores) − 10}; user-defined pieces score
 * {@code bytes·max(normal scores) − 0.1}; runs of unknowns merge into one, or, with byte
 * fallback, become {@code <0xXX>} byte pieces. Scores add in float32 as in SentencePiece, so ties break the
 * same way.
 */
final class UnigramModel {
    private static final float UNK_PENALTY = 10.0f;

    /** One piece of a segmentation: its id and the normalised text it covers. */
    record Segment(int id, String text) {}

    private final List<Piece> pieces;
    private final Map<String, Integer> byId = new HashMap<>();
    private final int unkId;
    private final boolean byteFallback;
    private final float minScore, maxScore;
    private final int maxPieceChars;

    UnigramModel(List<Piece> pieces, int unkId, boolean byteFallback, String source) {
        this.pieces = List.copyOf(pieces);
        if (unkId < 0 || unkId >= pieces.size())
            throw new TokenizerException(source + ": unknown-piece id " + unkId + " is outside the " + pieces.size() + " pieces");
        this.unkId = unkId;
        this.byteFallback = byteFallback;
        float min = Float.MAX_VALUE, max = Float.MIN_NORMAL; // SentencePiece starts from FLT_MAX and FLT_MIN
        int longest = 1;
        for (int id = 0; id < pieces.size(); id++) {
            Piece p = pieces.get(id);
            byId.putIfAbsent(p.text(), id);
            if (inLattice(p)) longest = Math.max(longest, p.text().length());
            if (p.type() == PieceType.NORMAL) {
                min = Math.min(min, p.score());
                max = Math.max(max, p.score());
            }
        }
        this.minScore = min;
        this.maxScore = max;
        this.maxPieceChars = longest;
        if (byteFallback)
            for (int b = 0; b < 256; b++)
                if (!byId.containsKey(bytePiece(b)))
                    throw new TokenizerException(source + ": byte fallback is on but piece " + bytePiece(b) + " is missing");
    }

    /** Pieces the segmenter may match; control, unknown and byte pieces are only ever emitted. */
    private static boolean inLattice(Piece p) {
        return p.type() == PieceType.NORMAL || p.type() == PieceType.USER_DEFINED || p.type() == PieceType.UNUSED;
    }

    int size() {
        return pieces.size();
    }

    int unkId() {
        return unkId;
    }

    /** The id of {@code text}, or -1. */
    int id(String text) {
        return byId.getOrDefault(text, -1);
    }

    Piece piece(int id) {
        return pieces.get(id);
    }

    /** Segments normalised text. */
    List<Segment> encode(String text) {
        if (text.isEmpty()) return List.of();
        int n = text.length();
        // Positions are UTF-16 indexes at code point boundaries; byteAt gives the UTF-8 offset of each.
        int[] byteAt = new int[n + 1];
        for (int i = 0, b = 0; i <= n; ) {
            byteAt[i] = b;
            if (i == n) break;
            int cp = text.codePointAt(i);
            int cl = Character.charCount(cp);
            b += utf8Bytes(cp);
            i += cl;
        }
        float[] best = new float[n + 1];
        int[] startsAt = new int[n + 1];
        int[] idAt = new int[n + 1];
        java.util.Arrays.fill(startsAt, -1);
        float unkScore = minScore - UNK_PENALTY;

        for (int start = 0; start < n; start += Character.charCount(text.codePointAt(start))) {
            float here = best[start];
            int oneChar = start + Character.charCount(text.codePointAt(start));
            boolean hasSingle = false;
            for (int end = oneChar; end <= n && end - start <= maxPieceChars; ) {
                Integer id = byId.get(text.substring(start, end));
                Piece p = id == null ? null : pieces.get(id);
                if (p != null && inLattice(p) && p.type() != PieceType.UNUSED) {
                    double candidate = p.type() == PieceType.USER_DEFINED
                            ? (byteAt[end] - byteAt[start]) * maxScore - 0.1 + here
                            : p.score() + here;
                    if (startsAt[end] == -1 || candidate > best[end]) {
                        best[end] = (float) candidate;
                        startsAt[end] = start;
                        idAt[end] = id;
                    }
                    if (end == oneChar) hasSingle = true;
                }
                if (end == n) break;
                end += Character.charCount(text.codePointAt(end));
            }
            if (!hasSingle) {
                float candidate = unkScore + here;
                if (startsAt[oneChar] == -1 || candidate > best[oneChar]) {
                    best[oneChar] = candidate;
                    startsAt[oneChar] = start;
                    idAt[oneChar] = unkId;
                }
            }
        }

        List<Segment> path = new ArrayList<>();
        for (int end = n; end > 0; end = startsAt[end]) path.add(new Segment(idAt[end], text.substring(startsAt[end], end)));
        Collections.reverse(path);
        return resolveUnknowns(path);
    }

    private List<Segment> resolveUnknowns(List<Segment> path) {
        List<Segment> out = new ArrayList<>(path.size());
        boolean prevUnk = false;
        for (Segment s : path) {
            boolean unk = s.id() == unkId;
            if (unk && byteFallback) {
                for (byte b : s.text().getBytes(StandardCharsets.UTF_8)) out.add(new Segment(byId.get(bytePiece(b & 0xFF)), s.text()));
            } else if (unk && prevUnk) {
                Segment last = out.removeLast();
                out.add(new Segment(unkId, last.text() + s.text()));
            } else {
                out.add(s);
            }
            prevUnk = unk;
        }
        return out;
    }

    static String bytePiece(int b) {
        return String.format(java.util.Locale.ROOT, "<0x%02X>", b);
    }

    private static int utf8Bytes(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
}
