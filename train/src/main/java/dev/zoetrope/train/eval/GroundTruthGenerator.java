package dev.zoetrope.train.eval;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.VideoGenerator;
import dev.zoetrope.train.synth.SynthClip;
import dev.zoetrope.train.synth.SynthRenderer;
import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.video.Mp4Writer;

/**
 * "Generates" exactly what a synthetic-world caption asks for, by rendering it: the reference an ideal
 * model would reach. The adherence eval scores the detector on these clips (after the same H.264 round
 * trip as model output) before it scores a model. The seed places the object (size, path, speed).
 */
public final class GroundTruthGenerator implements VideoGenerator {
    public static final String NAME = "ground truth (synthetic-world renderer)";
    private final SynthWorld.Settings settings;
    /** What each free-language prompt of a plan asks for (a template caption is parsed instead). */
    private final Map<String, AdherencePrompt> phrasings = new java.util.HashMap<>();

    public GroundTruthGenerator(SynthWorld.Settings settings) {
        this.settings = settings;
    }

    /** Renders the held-out phrasings and written prompts of {@code plan} too: the truth of a prompt is its scene, whatever its wording. */
    public GroundTruthGenerator understanding(AdherencePlan plan) {
        for (AdherencePrompt p : plan.prompts()) if (p.phrasing() != null) phrasings.put(p.caption(), p);
        return this;
    }

    /** 64×64, 17 frames at 8 fps, like the training clips. */
    public GroundTruthGenerator() {
        this(new SynthWorld.Settings(64, 64, 17, 8, SynthWorld.Split.ALL));
    }

    @Override
    public ModelCapabilities capabilities() {
        String res = settings.width() + "x" + settings.height();
        double seconds = (settings.frames() - 1) / settings.fps();
        return new ModelCapabilities("synthetic-world", Map.of(res, new int[]{settings.width(), settings.height()}), res,
                seconds, seconds, seconds, (int) Math.round(settings.fps()), 1, 1, 1, 0, "", 0, 64);
    }

    @Override
    public GenerationResult generate(GenerationRequest request, Path outputMp4, GenerationListener listener) {
        SynthSpec.Parsed parsed = SynthSpec.parse(request.prompt()).or(() -> java.util.Optional.ofNullable(phrasings.get(request.prompt()))
                        .map(p -> new SynthSpec.Parsed(p.combination(), p.background(), SynthSpec.CANONICAL_TEMPLATE)))
                .orElseThrow(() -> new InvalidRequestException("not a synthetic-world caption: '" + request.prompt() + "'"));
        long seed = request.seed() == null ? 0 : request.seed();
        SynthClip clip = SynthWorld.place(settings, "truth", 0, parsed.combination(), parsed.background(), parsed.template(),
                new SplittableRandom(seed));
        Mp4Writer.writeAll(outputMp4, SynthRenderer.render(clip), clip.fps());
        listener.progress("rendering", 1, 0);
        return new GenerationResult(outputMp4, request, clip.width(), clip.height(), clip.frames(),
                (int) Math.round(clip.fps()), (clip.frames() - 1) / clip.fps());
    }

    @Override
    public void close() {}
}
