package dev.zoetrope.models.pipeline;

import java.util.function.BooleanSupplier;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.models.sampling.FlowSampler;
import dev.zoetrope.models.sampling.FlowSchedule;
import dev.zoetrope.models.sampling.FlowScheduler;
import dev.zoetrope.models.sampling.Guidance;
import dev.zoetrope.models.sampling.GuidedVelocity;
import dev.zoetrope.models.sampling.NoiseGenerator;

/**
 * The DiT loop of {@link TextToVideo} without the decode: a request → its seeded noise and the DiT-space latent that
 * {@code generate} would hand to the VAE. The plan, the noise, the schedule (with the model's shift), the solver, the
 * guidance and its batching are {@code generate}'s own ({@link GenerationPlan}, {@link NoiseGenerator},
 * {@link TextToVideo#schedule}, {@link FlowSampler}, the family's {@link Guidance}, {@link TextToVideo#guided}); a test
 * checks the latent against the one {@code generate} decodes, bit for bit. Distillation uses it for a teacher's
 * (noise, latent) couplings, many prompts in a row: the text encoder and DiT stay loaded until {@link #close}.
 */
public final class LatentSampler implements AutoCloseable {
    /** One sampled latent: what was planned, the noise it started from and where it ended, both (1, C, T, H, W). */
    public record Sample(GenerationPlan plan, Tensor noise, Tensor latent) {}

    private final TextToVideo.Parts parts;
    private final TextToVideo.Options options;
    /** Asked only for the schedule: a TextToVideo loads nothing until it generates. */
    private final TextToVideo pipeline;
    private final Geometry geometry;
    private PromptEncoder text;
    private VelocityModel dit;

    /** @param options as {@code generate} would be given them (solver, shift, APG rescale, batched guidance) */
    public LatentSampler(TextToVideo.Parts parts, TextToVideo.Options options) {
        this.parts = parts;
        this.options = options;
        this.pipeline = schedulesOnly(parts, options);
        try (LatentDecoder vae = parts.vae().get()) {
            this.geometry = new Geometry(vae.latentChannels(), vae.temporalFactor(), vae.spatialFactor());
        }
    }

    /** The schedule {@code generate} samples {@code parts}' model with in {@code steps} steps (its own shift). */
    public static FlowSchedule schedule(TextToVideo.Parts parts, int steps) {
        return schedulesOnly(parts, TextToVideo.Options.DEFAULT).schedule(steps);
    }

    private static TextToVideo schedulesOnly(TextToVideo.Parts parts, TextToVideo.Options options) {
        return new TextToVideo(parts, options, (mp4, w, h, fps) -> {
            throw new IllegalStateException("a latent sampler writes no clips");
        });
    }

    public ModelCapabilities capabilities() {
        return parts.capabilities();
    }

    /** The latent {@code request} makes, with the model's defaults for whatever it leaves out; into the caller's scope. */
    public Sample sample(GenerationRequest request, FlowSampler.StepListener steps) {
        GenerationPlan plan = GenerationPlan.resolve(request, parts.capabilities(), parts.family());
        PromptEncoder encoder = text();
        Tensor cond = encoder.encode(plan.prompt());
        Tensor uncond = encoder.encode(plan.negativePrompt());
        VelocityModel model = dit();
        Tensor noise = model.onModelDevice(new NoiseGenerator(plan.seed()).gaussian(TextToVideo.latentShape(plan, geometry)));
        try (FlowScheduler scheduler = TextToVideo.solver(options, parts.family()).create(pipeline.schedule(plan.steps()));
             Guidance guidance = parts.family().guidance().create(plan.guidanceScale(), options.apgRescale())) {
            GuidedVelocity velocity = TextToVideo.velocity(model, guidance, cond, uncond, options.batchGuidance(), null, null);
            return new Sample(plan, noise, new FlowSampler(scheduler, guidance).sample(noise, velocity, steps));
        }
    }

    private PromptEncoder text() {
        if (text == null) text = parts.text().get();
        return text;
    }

    private VelocityModel dit() {
        if (dit == null) dit = parts.dit().get();
        return dit;
    }

    @Override
    public void close() {
        if (text != null) text.close();
        if (dit != null) dit.close();
        text = null;
        dit = null;
    }

    /** The VAE's latent geometry, read once (the VAE itself is not kept: nothing is decoded here). */
    private record Geometry(int latentChannels, int temporalFactor, int spatialFactor) implements LatentDecoder {
        @Override
        public void decode(Tensor latent, Frames sink, BooleanSupplier cancelled) {
            throw new UnsupportedOperationException("a latent sampler decodes nothing");
        }

        @Override
        public void close() {}
    }
}
