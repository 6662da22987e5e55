package dev.zoetrope.models.pipeline;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import dev.zoetrope.core.BuildInfo;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.models.sampling.FlowScheduler;

/**
 * What made a clip, as the container tags every generated mp4 carries ({@code zoetrope.seed}, {@code zoetrope.prompt},
 * ...): enough to make it again. {@code ffprobe -show_format} shows them; {@link #read} takes them back.
 */
public final class ClipMetadata {
    public static final String PREFIX = "zoetrope.";
    public static final String PROMPT = PREFIX + "prompt", NEGATIVE_PROMPT = PREFIX + "negative_prompt", SEED = PREFIX + "seed",
            MODEL = PREFIX + "model", FAMILY = PREFIX + "family", STEPS = PREFIX + "steps", GUIDANCE = PREFIX + "guidance",
            SHIFT = PREFIX + "shift", SAMPLER = PREFIX + "sampler", RESOLUTION = PREFIX + "resolution", SECONDS = PREFIX + "seconds",
            FRAMES = PREFIX + "frames", FPS = PREFIX + "fps", LORAS = PREFIX + "loras", STEP_CACHE = PREFIX + "step_cache",
            VERSION = PREFIX + "version";

    private ClipMetadata() {}

    /**
     * The tags of a clip made by {@code plan}.
     *
     * @param model the model's name (its directory or repo id), or null when unknown
     * @param cache the step-cache threshold, NaN for none
     */
    public static Map<String, String> of(GenerationPlan plan, ModelFamily family, String model, double shift, FlowScheduler.Kind solver,
                                         double cache, List<Lora> loras) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(PROMPT, plan.prompt());
        tags.put(NEGATIVE_PROMPT, plan.negativePrompt());
        tags.put(SEED, Long.toString(plan.seed()));
        if (model != null) tags.put(MODEL, model);
        tags.put(FAMILY, family.name().toLowerCase(Locale.ROOT));
        tags.put(STEPS, Integer.toString(plan.steps()));
        tags.put(GUIDANCE, number(plan.guidanceScale()));
        tags.put(SHIFT, number(shift));
        tags.put(SAMPLER, solver.name().toLowerCase(Locale.ROOT));
        tags.put(RESOLUTION, plan.resolution() + " (" + plan.width() + "x" + plan.height() + ")");
        tags.put(SECONDS, number(plan.seconds()));
        tags.put(FRAMES, Integer.toString(plan.frames()));
        tags.put(FPS, Integer.toString(plan.fps()));
        tags.put(LORAS, loras.stream().map(l -> l.file().getFileName() + ":" + number(l.strength())).collect(Collectors.joining(",")));
        tags.put(STEP_CACHE, Double.isNaN(cache) ? "off" : number(cache));
        tags.put(VERSION, BuildInfo.version());
        return tags;
    }

    /**
     * The zoetrope tags among a clip's container tags ({@code VideoProbe.metadata} in the video module), without the
     * prefix; empty for a clip made elsewhere.
     */
    public static Map<String, String> read(Map<String, String> containerTags) {
        Map<String, String> ours = new LinkedHashMap<>();
        containerTags.forEach((k, v) -> {
            if (k.startsWith(PREFIX)) ours.put(k.substring(PREFIX.length()), v);
        });
        return ours;
    }

    /**
     * The request that made the clip with these container tags, every setting as recorded, or null when it carries no zoetrope tags; with the
     * same model and options it makes the same clip.
     */
    public static GenerationRequest request(Map<String, String> containerTags) {
        Map<String, String> t = read(containerTags);
        if (!t.containsKey(key(PROMPT))) return null;
        String res = t.get(key(RESOLUTION));
        return new GenerationRequest(t.get(key(PROMPT)), t.get(key(NEGATIVE_PROMPT)), res == null ? null : res.split(" ")[0],
                parse(t.get(key(SECONDS))), t.containsKey(key(SEED)) ? Long.parseLong(t.get(key(SEED))) : null,
                parse(t.get(key(GUIDANCE))), t.containsKey(key(STEPS)) ? Integer.parseInt(t.get(key(STEPS))) : null);
    }

    private static String key(String tag) {
        return tag.substring(PREFIX.length());
    }

    private static Double parse(String v) {
        return v == null ? null : Double.parseDouble(v);
    }

    /** A number as briefly as it reads back exactly: 5 not 5.0. */
    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
