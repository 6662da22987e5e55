package dev.zoetrope.models.pipeline;

import java.nio.file.Path;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.text.PromptCleaner;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;

/**
 * Tokenizer → T5 encoder: the prompt's hidden states trimmed to its real token count ({@code </s>} included),
 * truncated at the DiT's text length. Wan's prompts are cleaned first (HTML unescape twice, whitespace collapse).
 */
public final class T5PromptEncoder implements PromptEncoder {
    private final Tokenizer tokenizer;
    private final T5Encoder encoder;
    private final boolean wanCleaning;

    public T5PromptEncoder(Tokenizer tokenizer, T5Encoder encoder, boolean wanCleaning) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.wanCleaning = wanCleaning;
    }

    /**
     * @param config    the encoder's config, parsed by whoever opened the model directory; null: from the weights
     * @param maxTokens truncation length, {@code </s>} included: the DiT's text length
     * @param dtype     cast every weight to this dtype as it loads; null keeps the stored one
     */
    public static T5PromptEncoder load(T5Config config, Path encoderDir, Path tokenizerDir, ModelFamily family, int maxTokens,
                                       DType dtype) {
        return load(config, encoderDir, tokenizerDir, family, maxTokens, dtype, null);
    }

    /** @param device where the encoder's weights go as they load (null: the CPU) */
    public static T5PromptEncoder load(T5Config config, Path encoderDir, Path tokenizerDir, ModelFamily family, int maxTokens,
                                       DType dtype, org.bytedeco.pytorch.Device device) {
        Tokenizer tokenizer = Tokenizers.load(tokenizerDir, maxTokens);
        try (Weights weights = Weights.open(encoderDir)) {
            return new T5PromptEncoder(tokenizer, T5Encoder.load(config, weights, dtype, device), family == ModelFamily.WAN);
        }
    }

    @Override
    public Tensor encode(String prompt) {
        String text = wanCleaning ? PromptCleaner.clean(prompt) : prompt;
        return encoder.encode(tokenizer.encode(text));
    }

    @Override
    public void close() {
        encoder.close();
    }
}
