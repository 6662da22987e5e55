package dev.zoetrope.models.text;

import dev.zoetrope.core.InvalidRequestException;

/** A tokenizer file is missing, malformed, or asks for a feature this tokenizer does not have. */
public class TokenizerException extends InvalidRequestException {
    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
