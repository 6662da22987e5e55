package dev.zoetrope.models.text;

import java.nio.file.Path;
import java.util.List;

import dev.zoetrope.models.text.SentencePieceModel.PieceType;

/** The tokenizer of a SentencePiece unigram {@code .model} file, with its normaliser. */
public final class SentencePieceTokenizer implements Tokenizer {
    private final SentencePieceModel model;
    private final SentencePieceNormalizer normalizer;
    private final UnigramModel unigram;
    private final int maxLength;

    public SentencePieceTokenizer(SentencePieceModel model, int maxLength, String source) {
        if (model.modelType() != SentencePieceModel.ModelType.UNIGRAM)
            throw new TokenizerException(source + ": model type " + model.modelType() + " is not supported (only UNIGRAM)");
        if (model.treatWhitespaceAsSuffix())
            throw new TokenizerException(source + ": treat_whitespace_as_suffix is not supported");
        if (maxLength < 1) throw new IllegalArgumentException("max length must be at least 1, got " + maxLength);
        if (model.eosId() < 0 || model.eosId() >= model.pieces().size())
            throw new TokenizerException(source + ": the model has no end-of-sequence piece (eos_id " + model.eosId() + ")");
        this.model = model;
        SentencePieceModel.Normalizer spec = model.normalizer();
        List<String> userDefined = model.pieces().stream()
                .filter(p -> p.type() == PieceType.USER_DEFINED).map(SentencePieceModel.Piece::text).toList();
        this.normalizer = new SentencePieceNormalizer(CharsMap.parse(spec.precompiledCharsmap(), source),
                spec.addDummyPrefix(), spec.removeExtraWhitespaces(), spec.escapeWhitespaces(), userDefined);
        this.unigram = new UnigramModel(model.pieces(), model.unkId(), model.byteFallback(), source);
        this.maxLength = maxLength;
    }

    /** Reads {@code spiece.model} (or any SentencePiece unigram model file). */
    public static SentencePieceTokenizer load(Path file, int maxLength) {
        return new SentencePieceTokenizer(SentencePieceModel.read(file), maxLength, file.toString());
    }

    public SentencePieceModel model() {
        return model;
    }

    /** The text after normalisation, as the segmenter sees it ({@code ▁} for spaces). */
    public String normalize(String text) {
        return normalizer.normalize(text);
    }

    @Override
    public int[] encode(String text) {
        return Tokenizer.withEos(unigram.encode(normalizer.normalize(text)).stream()
                .mapToInt(UnigramModel.Segment::id).toArray(), eosId(), maxLength);
    }

    @Override
    public List<String> pieces(String text) {
        return unigram.encode(normalizer.normalize(text)).stream().map(UnigramModel.Segment::text).toList();
    }

    @Override
    public int eosId() {
        return model.eosId();
    }

    /** The model's pad id; T5 models use 0, which is also the fallback when the model has none. */
    @Override
    public int padId() {
        return model.padId() >= 0 ? model.padId() : 0;
    }

    @Override
    public int unkId() {
        return model.unkId();
    }

    @Override
    public int vocabSize() {
        return unigram.size();
    }

    @Override
    public int maxLength() {
        return maxLength;
    }
}
