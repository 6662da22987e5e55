package dev.zoetrope.models.pipeline;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.io.ClipWriter;
import dev.zoetrope.core.progress.GenerationCancelledException;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.models.sampling.FlowSampler;
import dev.zoetrope.models.sampling.FlowSchedule;
import dev.zoetrope.models.sampling.FlowScheduler;
import dev.zoetrope.models.sampling.Guidance;
import dev.zoetrope.models.sampling.GuidedVelocity;
import dev.zoetrope.models.sampling.NoiseGenerator;
import dev.zoetrope.models.sampling.StepCache;
import dev.zoetrope.models.vae.LatentScale;

/**
 * Text to video: prompt → tokenizer → T5 → DiT loop (scheduler + guidance) → VAE decode → frames → mp4.
 *
 * <p>Memory plan: the text encoder is loaded, encodes both prompts and is freed before the DiT is loaded; the
 * latent is decoded one latent frame at a time, each frame streamed to the writer. With {@link Options#keepLoaded}
 * the DiT and VAE stay resident between calls (a service); otherwise each is freed when its stage ends.
 */
public final class TextToVideo implements VideoGenerator {
    /**
     * How to load each part of one model. Suppliers are called when the stage needs the part.
     *
     * @param shift the schedule shift the model was trained for: its family's, or its own ({@code zoetrope.json})
     * @param model its name as recorded in each clip's metadata ({@link ClipMetadata}), or null
     */
    public record Parts(ModelFamily family, ModelCapabilities capabilities, double shift, Supplier<PromptEncoder> text,
                        Supplier<VelocityModel> dit, Supplier<LatentDecoder> vae, LatentScale latentScale, String model) {
        /** Parts of an unnamed model. */
        public Parts(ModelFamily family, ModelCapabilities capabilities, double shift, Supplier<PromptEncoder> text,
                     Supplier<VelocityModel> dit, Supplier<LatentDecoder> vae, LatentScale latentScale) {
            this(family, capabilities, shift, text, dit, vae, latentScale, null);
        }
    }

    /**
     * @param batchGuidance run the cond and null predictions as one batch-2 forward (faster, twice the activations)
     * @param keepLoaded keep the DiT and VAE loaded between generations
     * @param solver the ODE solver, or null for the family's (Euler for Linum, UniPC for Wan)
     * @param shift the schedule shift, or NaN for the model's
     * @param apgRescale APG's per-frame bound on the guidance difference (0: none), or NaN for Linum's 20; only for
     *                   families that guide with APG
     * @param offload    which weights leave the device between stages ({@link Offload}); with any but NONE nothing
     *                   is kept loaded between generations
     * @param cache      the {@link StepCache} threshold, or NaN for no step cache
     * @param loras      LoRA adapters merged into the DiT as it loads ({@link Lora})
     * @param loraLenient skip adapter keys and modules that match nothing instead of refusing them
     */
    public record Options(boolean batchGuidance, boolean keepLoaded, FlowScheduler.Kind solver, double shift,
                          double apgRescale, Offload offload, double cache, List<Lora> loras, boolean loraLenient) {
        public static final Options DEFAULT = new Options(true, false, null, Double.NaN);

        public Options {
            if (offload == null) offload = Offload.NONE;
            loras = loras == null ? List.of() : List.copyOf(loras);
            if (!Double.isNaN(cache) && !(cache > 0 && cache < Double.POSITIVE_INFINITY))
                throw new InvalidRequestException("the step cache threshold must be a number above 0, got " + cache);
            // a shift is the user's choice (--shift); zero or negative would fold the schedule over
            if (!Double.isNaN(shift) && !(shift > 0 && shift < Double.POSITIVE_INFINITY))
                throw new InvalidRequestException("the schedule shift must be a positive number, got " + shift);
            if (!Double.isNaN(apgRescale) && !(apgRescale >= 0 && apgRescale < Double.POSITIVE_INFINITY))
                throw new InvalidRequestException("the APG rescale must be a number >= 0 (0 turns it off), got " + apgRescale);
        }

        public Options(boolean batchGuidance, boolean keepLoaded, FlowScheduler.Kind solver, double shift) {
            this(batchGuidance, keepLoaded, solver, shift, Double.NaN, Offload.NONE, Double.NaN, List.of(), false);
        }

        public Options(boolean batchGuidance, boolean keepLoaded, FlowScheduler.Kind solver, double shift, double apgRescale) {
            this(batchGuidance, keepLoaded, solver, shift, apgRescale, Offload.NONE, Double.NaN, List.of(), false);
        }

        public Options(boolean batchGuidance, boolean keepLoaded, FlowScheduler.Kind solver, double shift, double apgRescale,
                       Offload offload) {
            this(batchGuidance, keepLoaded, solver, shift, apgRescale, offload, Double.NaN, List.of(), false);
        }

        public Options withOffload(Offload o) {
            return new Options(batchGuidance, keepLoaded, solver, shift, apgRescale, o, cache, loras, loraLenient);
        }

        /** With a step cache at {@code threshold} (NaN: none). */
        public Options withCache(double threshold) {
            return new Options(batchGuidance, keepLoaded, solver, shift, apgRescale, offload, threshold, loras, loraLenient);
        }

        /** With {@code adapters} merged into the DiT as it loads. */
        public Options withLoras(List<Lora> adapters, boolean lenient) {
            return new Options(batchGuidance, keepLoaded, solver, shift, apgRescale, offload, cache, adapters, lenient);
        }

        /** Whether the DiT and VAE stay loaded between generations (a service without offload). */
        boolean keepsModels() {
            return keepLoaded && offload == Offload.NONE;
        }
    }

    public static final String STAGE_TEXT = "encoding text";
    public static final String STAGE_DENOISE = "denoising";
    public static final String STAGE_DECODE = "decoding";
    private static final double TEXT_SHARE = 0.05, DECODE_SHARE = 0.10;

    private final Parts parts;
    private final Options options;
    private final ClipWriter.Factory output;
    private VelocityModel dit;
    private LatentDecoder vae;

    public TextToVideo(Parts parts, Options options, ClipWriter.Factory output) {
        if (!Double.isNaN(options.apgRescale()) && parts.family().guidance() != Guidance.Kind.APG)
            throw new InvalidRequestException("the APG rescale applies to models guided by APG (Linum v2, zoetrope); "
                    + parts.family().displayName() + " uses " + parts.family().guidance().name());
        this.parts = parts;
        this.options = options;
        this.output = output;
    }

    @Override
    public ModelCapabilities capabilities() {
        return parts.capabilities();
    }

    public ModelFamily family() {
        return parts.family();
    }

    @Override
    public GenerationResult generate(GenerationRequest request, Path outputMp4, GenerationListener listener) {
        return generate(request, outputMp4, listener, List.of());
    }

    /**
     * One clip with {@code adapters} applied on the fly to the loaded DiT for this clip alone (read and matched first, so
     * an adapter that does not fit fails before any work); the base weights stay as they are for the next request.
     */
    @Override
    public GenerationResult generate(GenerationRequest request, Path outputMp4, GenerationListener listener, List<Lora> adapters) {
        GenerationPlan plan = GenerationPlan.resolve(request, capabilities(), family());
        Denoised denoised;
        try (PointerScope scope = new PointerScope();
             Lora.Stack perRequest = adapters.isEmpty() ? null : new Lora.Stack(adapters, options.loraLenient())) {
            Prompts prompts = encodePrompts(plan, listener);
            denoised = denoise(plan, prompts, listener, perRequest);
            writeClip(plan, denoised.latent(), outputMp4, listener, metadata(plan, adapters));
        } finally {
            if (!options.keepsModels()) releaseModels();
        }
        return new GenerationResult(outputMp4, plan.asRequest(), plan.width(), plan.height(), plan.frames(), plan.fps(),
                (plan.frames() - 1) / (double) plan.fps(), denoised.forwards(), denoised.skipped());
    }

    /** What the clip's container records about how it was made. */
    private java.util.Map<String, String> metadata(GenerationPlan plan, List<Lora> adapters) {
        List<Lora> loras = new java.util.ArrayList<>(options.loras());
        loras.addAll(adapters);
        return ClipMetadata.of(plan, family(), parts.model(), Double.isNaN(options.shift()) ? parts.shift() : options.shift(),
                solver(options, family()), options.cache(), loras);
    }

    private record Prompts(Tensor cond, Tensor uncond) {}

    /** The denoised latent and the DiT evaluations it took (one per sample per step) and skipped. */
    private record Denoised(Tensor latent, int forwards, int skipped) {}

    /** Tokenizer → T5 for the prompt and the negative prompt; the encoder is freed before returning. */
    private Prompts encodePrompts(GenerationPlan plan, GenerationListener listener) {
        listener.progress(STAGE_TEXT, 0, Double.NaN);
        checkCancelled(listener);
        listener.stageStep(STAGE_TEXT, 0, 2);
        try (PromptEncoder encoder = parts.text().get()) {
            Tensor cond = encoder.encode(plan.prompt());
            listener.progress(STAGE_TEXT, TEXT_SHARE / 2, Double.NaN);
            listener.stageStep(STAGE_TEXT, 1, 2);
            Tensor uncond = encoder.encode(plan.negativePrompt());
            listener.progress(STAGE_TEXT, TEXT_SHARE, Double.NaN);
            listener.stageStep(STAGE_TEXT, 2, 2);
            return new Prompts(cond, uncond);
        }
    }

    /** The DiT loop from seeded noise to a DiT-space latent. */
    private Denoised denoise(GenerationPlan plan, Prompts prompts, GenerationListener listener, Lora.Stack adapters) {
        long[] shape = latentShape(plan, vae());
        // offloading: the VAE leaves the device while the DiT runs (it comes back to decode)
        if (options.offload() != Offload.NONE) releaseVae();
        VelocityModel base = dit();
        VelocityModel model = adapters == null ? base : base.adapted(adapters);
        try {
            if (adapters != null) adapters.requireAllMatched();
            return denoise(plan, prompts, listener, shape, model);
        } finally {
            if (model != base) model.close();
            if (!options.keepsModels()) {
                base.close();
                dit = null;
            }
        }
    }

    private Denoised denoise(GenerationPlan plan, Prompts prompts, GenerationListener listener, long[] shape, VelocityModel model) {
        if (model instanceof DitVelocity d && !family().official(d.transformer().config(), plan.width(), plan.height()))
            listener.warning(String.format(java.util.Locale.ROOT, "%s at %d×%d: this %s checkpoint was not made for that size; "
                    + "expect weaker results", family().displayName(), plan.width(), plan.height(), family().displayName()));
        // drawn on the host from the seed, then moved: a seed gives the same video on every device
        Tensor noise = model.onModelDevice(new NoiseGenerator(plan.seed()).gaussian(shape));
        FlowSchedule schedule = schedule(plan.steps());
        FlowScheduler.Kind solver = solver(options, family());
        long start = System.nanoTime();
        FlowSampler.StepListener steps = new FlowSampler.StepListener() {
            @Override
            public void stepDone(int done, int total) {
                double elapsed = (System.nanoTime() - start) / 1e9;
                double eta = elapsed / done * (total - done);
                listener.progress(STAGE_DENOISE, TEXT_SHARE + (1 - TEXT_SHARE - DECODE_SHARE) * done / total, eta);
                listener.stageStep(STAGE_DENOISE, done, total);
            }

            @Override
            public boolean cancelled() {
                return listener.cancelled();
            }
        };
        listener.stageStep(STAGE_DENOISE, 0, schedule.steps());
        boolean caching = !Double.isNaN(options.cache());
        try (FlowScheduler scheduler = solver.create(schedule);
             Guidance guidance = family().guidance().create(plan.guidanceScale(), options.apgRescale());
             StepCache first = caching ? new StepCache(options.cache(), schedule.steps()) : null;
             StepCache second = caching ? new StepCache(options.cache(), schedule.steps()) : null) {
            // a guidance that ignores the null prediction (a guidance-distilled model) runs the conditional forward only;
            // a step cache follows one sequence of forwards, so two separate guidance branches get one each
            boolean both = guidance.needsUncond(), batched = both && options.batchGuidance();
            GuidedVelocity velocity = velocity(model, guidance, prompts.cond(), prompts.uncond(), options.batchGuidance(), first, second);
            Tensor latent = new FlowSampler(scheduler, guidance).sample(noise, velocity, steps);
            int perStep = both ? 2 : 1;
            int skipped = !caching ? 0 : batched ? 2 * first.skipped() : first.skipped() + second.skipped();
            return new Denoised(latent, perStep * schedule.steps() - skipped, skipped);
        }
    }

    /** The schedule of this family with the options' shift, else the model's. */
    FlowSchedule schedule(int steps) {
        double shift = Double.isNaN(options.shift()) ? parts.shift() : options.shift();
        return switch (family()) {
            case LINUM -> FlowSchedule.shiftedEuler(steps, shift, 1000);
            case WAN -> FlowSchedule.wan(steps, shift, 1000);
        };
    }

    /**
     * What the sampler integrates: the conditional velocity alone when {@code guidance} ignores the null prediction,
     * else both, as one batch-2 forward ({@code batched}) or two forwards, each with its step cache (null: none).
     */
    static GuidedVelocity velocity(VelocityModel model, Guidance guidance, Tensor cond, Tensor uncond, boolean batched,
                                   StepCache first, StepCache second) {
        if (!guidance.needsUncond()) return unguided(model.cached(first), cond);
        return batched ? guided(model.cached(first), cond, uncond, true) : separate(model.cached(first), model.cached(second), cond, uncond);
    }

    /** The solver {@code options} ask for, else the family's. */
    static FlowScheduler.Kind solver(Options options, ModelFamily family) {
        return options.solver() == null ? family.solver() : options.solver();
    }

    /** The velocity pair for guidance: two forwards, or one forward over a batch of two. Both give equal results. */
    public static GuidedVelocity guided(VelocityModel model, Tensor cond, Tensor uncond, boolean batched) {
        if (!batched) return separate(model, model, cond, uncond);
        return (x, t) -> {
            Tensor both = model.velocity(torch.cat(new TensorVector(x, x), 0), t, List.of(cond, uncond));
            return new GuidedVelocity.Prediction(both.narrow(0, 0, x.size(0)), both.narrow(0, x.size(0), x.size(0)));
        };
    }

    /** The cond and null predictions as two forwards, each by its own model (or view of one). */
    static GuidedVelocity separate(VelocityModel forCond, VelocityModel forUncond, Tensor cond, Tensor uncond) {
        return (x, t) -> new GuidedVelocity.Prediction(forCond.velocity(x, t, List.of(cond)), forUncond.velocity(x, t, List.of(uncond)));
    }

    /** One conditional forward per step; the prediction stands for both branches. */
    static GuidedVelocity unguided(VelocityModel model, Tensor cond) {
        return (x, t) -> {
            Tensor v = model.velocity(x, t, List.of(cond));
            return new GuidedVelocity.Prediction(v, v);
        };
    }

    /**
     * VAE decode frame by frame → 8-bit RGB → writer; the writer is discarded on any failure or cancellation. The
     * decoder itself asks for cancellation between its latent frames and tiles (a tiled decode hands over frames
     * only at its end).
     */
    private void writeClip(GenerationPlan plan, Tensor latent, Path outputMp4, GenerationListener listener,
                           java.util.Map<String, String> metadata) {
        LatentDecoder decoder = vae();
        Tensor z = parts.latentScale().toVae(latent);
        listener.progress(STAGE_DECODE, 1 - DECODE_SHARE, Double.NaN);
        ClipWriter writer = output.open(outputMp4, plan.width(), plan.height(), plan.fps(), metadata);
        listener.stageStep(STAGE_DECODE, 0, plan.frames());
        long start = System.nanoTime();
        int[] written = {0};
        try {
            decoder.decode(z, (frames, first) -> {
                checkCancelled(listener);
                for (int i = 0; i < frames.size(1); i++) {
                    int index = i;
                    writer.frame(Scopes.value(() -> Pixels.rgb(frames.select(1, index))));
                    written[0]++;
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                double eta = elapsed / written[0] * (plan.frames() - written[0]);
                listener.progress(STAGE_DECODE, 1 - DECODE_SHARE + DECODE_SHARE * written[0] / plan.frames(), eta);
                listener.stageStep(STAGE_DECODE, written[0], plan.frames());
            }, listener::cancelled);
            if (written[0] != plan.frames())
                throw new IllegalStateException("the VAE decoded " + written[0] + " frames, expected " + plan.frames());
            writer.finish();
        } catch (RuntimeException | Error e) {
            writer.abort();
            throw e;
        }
        listener.progress(STAGE_DECODE, 1, 0);
    }

    static long[] latentShape(GenerationPlan plan, LatentDecoder vae) {
        int s = vae.spatialFactor(), t = vae.temporalFactor();
        if ((plan.frames() - 1) % t != 0)
            throw new IllegalArgumentException(plan.frames() + " frames do not fit the VAE's " + t + "n+1 frame grouping");
        if (plan.width() % s != 0 || plan.height() % s != 0)
            throw new IllegalArgumentException(plan.width() + "x" + plan.height() + " is not a multiple of the VAE's " + s + "-pixel cells");
        return new long[]{1, vae.latentChannels(), (plan.frames() - 1) / t + 1, plan.height() / s, plan.width() / s};
    }

    private static void checkCancelled(GenerationListener listener) {
        if (listener.cancelled()) throw new GenerationCancelledException();
    }

    private synchronized VelocityModel dit() {
        if (dit == null) dit = parts.dit().get();
        return dit;
    }

    private synchronized LatentDecoder vae() {
        if (vae == null) vae = parts.vae().get();
        return vae;
    }

    private synchronized void releaseVae() {
        if (vae != null) vae.close();
        vae = null;
    }

    private synchronized void releaseModels() {
        if (dit != null) dit.close();
        if (vae != null) vae.close();
        dit = null;
        vae = null;
    }

    @Override
    public void close() {
        releaseModels();
    }
}
