package dev.zoetrope.models.pipeline;

import org.bytedeco.pytorch.Tensor;

/** Tokenizer + text encoder: a prompt → its text states (L, text_dim), trimmed to the real token count. */
public interface PromptEncoder extends AutoCloseable {
    Tensor encode(String prompt);

    /** Frees the encoder's weights (T5-XXL is ~9.5 GB); called before the DiT is loaded. */
    @Override
    void close();
}
