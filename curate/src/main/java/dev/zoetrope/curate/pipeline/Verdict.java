package dev.zoetrope.curate.pipeline;

import java.io.Serializable;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.zoetrope.core.config.Json;

/**
 * A clip's decision and its pooled latent statistics ({@code visual}, 2C values; null without a VAE stage): what the
 * workers write, one JSON line each, and the driver reads back to assemble the run's files.
 */
public record Verdict(Decision decision, float[] visual) implements Serializable {
    /** One line of JSON (for a verdict, a source report, or any other record the workers write). */
    static String json(Object value) {
        try {
            return Json.PLAIN.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON: " + e.getMessage(), e);
        }
    }
}
