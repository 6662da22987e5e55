package dev.zoetrope.curate.vlm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.image.Pngs;

/**
 * Asks a vision-language model to caption a clip and say whether it is fit for training, from a few sampled frames.
 * The model is asked to answer with JSON {@code {"caption": "...", "keep": true|false, "reason": "..."}}; an answer
 * that is not such JSON is taken as a caption with no verdict (keep). Answers are cached by clip hash.
 */
public final class VlmStage {
    public static final String PROMPT = """
            These are frames sampled in order from one short video clip. Write a one-sentence caption describing what \
            is shown and how it moves, as a training caption for a text-to-video model. Decide whether the clip is fit \
            for training: reject it if it is blurry, mostly dark, static, has burned-in text or watermarks, or is not \
            natural video. Answer with JSON only: {"caption": "...", "keep": true or false, "reason": "..."}""";

    /** What the model said. */
    public record Verdict(String caption, boolean keep, String reason, boolean cached) {}

    private final ChatClient client;
    private final VlmCache cache;

    public VlmStage(ChatClient client, Path cacheDir) {
        this.client = client;
        this.cache = new VlmCache(cacheDir);
    }

    public Verdict ask(List<Picture> frames) {
        List<byte[]> pngs = new ArrayList<>();
        for (Picture p : frames) pngs.add(Pngs.encode(p));
        String key = VlmCache.key(client.settings().model(), PROMPT, pngs);
        try {
            var hit = cache.get(key);
            if (hit.isPresent()) return parse(hit.get(), true);
            String answer = client.complete(PROMPT, pngs);
            Verdict v = parse(answer, false);
            cache.put(key, answer);
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Verdict parse(String answer, boolean cached) {
        int a = answer.indexOf('{'), b = answer.lastIndexOf('}');
        if (a >= 0 && b > a) {
            try {
                JsonNode j = Json.PLAIN.readTree(answer.substring(a, b + 1));
                return new Verdict(j.path("caption").asText("").trim(), j.path("keep").asBoolean(true),
                        j.path("reason").asText(""), cached);
            } catch (IOException e) {
                // Not JSON after all: fall through and use the text as the caption.
            }
        }
        return new Verdict(answer.trim(), true, "", cached);
    }

    /** {@code n} frames spread evenly over the clip. */
    public static List<Picture> sample(List<Picture> clip, int n) {
        List<Picture> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(clip.get((int) ((i + 0.5) * clip.size() / n)));
        return out;
    }
}
