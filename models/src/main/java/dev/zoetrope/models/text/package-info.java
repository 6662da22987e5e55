/**
 * The text side of generation: prompt → ids → hidden states.
 *
 * <ul>
 *   <li>{@link dev.zoetrope.models.text.Tokenizers#load} opens a SentencePiece unigram tokenizer from
 *       {@code spiece.model} or a Hugging Face {@code tokenizer.json}; {@link dev.zoetrope.models.text.Tokenizer#encode}
 *       appends {@code </s>} and truncates.</li>
 *   <li>{@link dev.zoetrope.models.text.PromptCleaner} applies Wan's prompt cleaning.</li>
 *   <li>{@link dev.zoetrope.models.text.T5Encoder} runs the T5 v1.1 or umT5 encoder on the ids and gives per-prompt
 *       hidden states trimmed to their length.</li>
 * </ul>
 */
package dev.zoetrope.models.text;
