package dev.zoetrope.train.eval;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

import dev.zoetrope.models.pipeline.GenerationListener;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.VideoGenerator;
import dev.zoetrope.train.synth.SynthClip;
import dev.zoetrope.train.synth.SynthRenderer;
import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthSpec.Combination;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.video.Mp4Writer;

/**
 * TEST DOUBLE, not a model: a {@link VideoGenerator} that renders what the prompt asks for with the
 * synthetic-world renderer, after passing the colour index through {@code colorMap} (identity for a
 * "perfect model", a shift for one that always gets the colour wrong). Counts its calls so tests can
 * check resumption.
 */
final class RenderingTestDouble implements VideoGenerator {
    final AtomicInteger generated = new AtomicInteger();
    private final IntUnaryOperator colorMap;
    /** What a free-language prompt asks for (a template caption is parsed instead). */
    private final Map<String, AdherencePrompt> phrasings = new HashMap<>();

    RenderingTestDouble(IntUnaryOperator colorMap) {
        this.colorMap = colorMap;
    }

    /** Renders the held-out phrasings of {@code plan} too, looked up by their text. */
    RenderingTestDouble understanding(AdherencePlan plan) {
        for (AdherencePrompt p : plan.prompts()) if (p.phrasing() != null) phrasings.put(p.caption(), p);
        return this;
    }

    static RenderingTestDouble faithful() {
        return new RenderingTestDouble(c -> c);
    }

    /** Always renders the next palette colour instead of the asked one. */
    static RenderingTestDouble wrongColor() {
        return new RenderingTestDouble(c -> (c + 1) % SynthSpec.COLORS.size());
    }

    @Override
    public ModelCapabilities capabilities() {
        return new GroundTruthGenerator().capabilities();
    }

    @Override
    public GenerationResult generate(GenerationRequest request, Path outputMp4, GenerationListener listener) {
        SynthSpec.Parsed p = SynthSpec.parse(request.prompt()).orElseGet(() -> {
            AdherencePrompt worded = phrasings.get(request.prompt());
            if (worded == null) throw new IllegalArgumentException("the double cannot read '" + request.prompt() + "'");
            return new SynthSpec.Parsed(worded.combination(), worded.background(), 0);
        });
        Combination asked = p.combination();
        Combination drawn = new Combination(colorMap.applyAsInt(asked.color()), asked.shape(), asked.direction());
        SynthWorld.Settings s = new SynthWorld.Settings(64, 64, 13, 8, SynthWorld.Split.ALL);
        SynthClip clip = SynthWorld.place(s, "double", 0, drawn, p.background(), 0, new SplittableRandom(request.seed()));
        Mp4Writer.writeAll(outputMp4, SynthRenderer.render(clip), clip.fps());
        generated.incrementAndGet();
        // a held-out prompt "costs" 10 forwards and a seen one 20, so a report's per-split speed can be checked
        int forwards = asked.heldOut() ? 10 : 20;
        return new GenerationResult(outputMp4, request, 64, 64, clip.frames(), 8, 1.5, forwards, 2);
    }

    @Override
    public void close() {}
}
