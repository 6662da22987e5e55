package dev.zoetrope.models.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The contents of a SentencePiece {@code .model} file (a serialised {@code ModelProto}), read without a
 * protobuf library: the pieces with their scores and types, the trainer settings that change encoding,
 * and the normaliser settings.
 */
public record SentencePieceModel(List<Piece> pieces, ModelType modelType, int unkId, int bosId, int eosId, int padId,
                                 boolean byteFallback, boolean treatWhitespaceAsSuffix, Normalizer normalizer) {

    public enum ModelType { UNIGRAM, BPE, WORD, CHAR }

    /** The piece types of {@code ModelProto.SentencePiece.Type}, in proto order (1-based). */
    public enum PieceType { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    public record Piece(String text, float score, PieceType type) {}

    /**
     * The {@code NormalizerSpec}: rule name, the compiled character map (may be empty: identity), and the
     * whitespace rules.
     */
    public record Normalizer(String name, byte[] precompiledCharsmap, boolean addDummyPrefix,
                             boolean removeExtraWhitespaces, boolean escapeWhitespaces) {}

    public SentencePieceModel {
        pieces = List.copyOf(pieces);
    }

    public static SentencePieceModel read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TokenizerException(file + ": no such file", e);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(data, file.toString());
    }

    /** Parses a serialised ModelProto; {@code source} names it in messages. */
    public static SentencePieceModel parse(byte[] data, String source) {
        ProtoReader r = new ProtoReader(data, source);
        List<Piece> pieces = new ArrayList<>();
        // Proto2 defaults of TrainerSpec and NormalizerSpec.
        ModelType modelType = ModelType.UNIGRAM;
        int unkId = 0, bosId = 1, eosId = 2, padId = -1;
        boolean byteFallback = false, suffix = false;
        Normalizer normalizer = new Normalizer("", new byte[0], true, true, true);
        while (r.next()) {
            switch (r.field()) {
                case 1 -> pieces.add(readPiece(r.message("piece " + pieces.size())));
                case 2 -> {
                    ProtoReader t = r.message("trainer_spec");
                    while (t.next()) {
                        switch (t.field()) {
                            case 3 -> {
                                int m = t.int32();
                                if (m < 1 || m > ModelType.values().length) throw t.broken("unknown model_type " + m);
                                modelType = ModelType.values()[m - 1];
                            }
                            case 24 -> suffix = t.bool();
                            case 35 -> byteFallback = t.bool();
                            case 40 -> unkId = t.int32();
                            case 41 -> bosId = t.int32();
                            case 42 -> eosId = t.int32();
                            case 43 -> padId = t.int32();
                            default -> t.skip();
                        }
                    }
                }
                case 3 -> normalizer = readNormalizer(r.message("normalizer_spec"));
                default -> r.skip();
            }
        }
        if (pieces.isEmpty()) throw r.broken("no pieces");
        return new SentencePieceModel(pieces, modelType, unkId, bosId, eosId, padId, byteFallback, suffix, normalizer);
    }

    private static Piece readPiece(ProtoReader p) {
        String text = null;
        float score = 0;
        PieceType type = PieceType.NORMAL;
        while (p.next()) {
            switch (p.field()) {
                case 1 -> text = p.string();
                case 2 -> score = p.float32();
                case 3 -> {
                    int t = p.int32();
                    if (t < 1 || t > PieceType.values().length) throw p.broken("unknown piece type " + t);
                    type = PieceType.values()[t - 1];
                }
                default -> p.skip();
            }
        }
        if (text == null || text.isEmpty()) throw p.broken("empty piece");
        return new Piece(text, score, type);
    }

    private static Normalizer readNormalizer(ProtoReader n) {
        String name = "";
        byte[] charsmap = new byte[0];
        boolean dummy = true, extra = true, escape = true;
        while (n.next()) {
            switch (n.field()) {
                case 1 -> name = n.string();
                case 2 -> charsmap = n.bytes();
                case 3 -> dummy = n.bool();
                case 4 -> extra = n.bool();
                case 5 -> escape = n.bool();
                default -> n.skip();
            }
        }
        return new Normalizer(name, charsmap, dummy, extra, escape);
    }
}
