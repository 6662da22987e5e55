package dev.zoetrope.models.text;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the tokenizer of a T5-family text encoder. */
public final class Tokenizers {
    /** No truncation. */
    public static final int UNLIMITED = Integer.MAX_VALUE;

    private Tokenizers() {}

    /**
     * Opens {@code path}: a {@code spiece.model} or {@code tokenizer.json} file, or a directory holding one
     * of them. When a directory has both, {@code spiece.model} is used: it is the original the other was
     * converted from.
     *
     * @param maxLength the longest id sequence {@link Tokenizer#encode} returns, {@code </s>} included
     */
    public static Tokenizer load(Path path, int maxLength) {
        if (Files.isDirectory(path)) {
            Path spiece = path.resolve("spiece.model"), json = path.resolve("tokenizer.json");
            if (Files.isRegularFile(spiece)) return SentencePieceTokenizer.load(spiece, maxLength);
            if (Files.isRegularFile(json)) return HuggingFaceTokenizer.load(json, maxLength);
            throw new TokenizerException(path + ": holds neither spiece.model nor tokenizer.json");
        }
        if (!Files.isRegularFile(path)) throw new TokenizerException(path + ": no such file or directory");
        return path.getFileName().toString().endsWith(".json")
                ? HuggingFaceTokenizer.load(path, maxLength)
                : SentencePieceTokenizer.load(path, maxLength);
    }

    public static Tokenizer load(Path path) {
        return load(path, UNLIMITED);
    }
}
