package dev.zoetrope.train.lora;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.pipeline.PromptEncoder;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.train.dit.FlowMatching;
import dev.zoetrope.train.dit.LatentSet;
import dev.zoetrope.train.dit.TextToVideoTask;
import dev.zoetrope.train.loop.Share;
import dev.zoetrope.train.loop.TrainingTask;

/**
 * Flow matching on curated clips through a frozen DiT with trainable {@link LoraLayers}: a micro-batch is B random clips'
 * latents mapped into the DiT's space by the base model's own latent scale, their captions (the empty prompt with
 * probability {@code captionDropout}, so guidance keeps working) encoded by the base model's frozen text encoder, noised
 * at shifted logit-normal sigmas; the loss is the MSE between the velocity and {@code noise − data}. Only the adapters
 * receive gradients. Every draw is made on the host from the micro-batch's generator, so resume is exact.
 */
final class LoraTask implements TrainingTask {
    /** Text states of at most this many captions stay cached (a curated set may hold millions). */
    static final int CACHED_CAPTIONS = 512;

    private final DiffusionTransformer model;
    private final LoraLayers layers;
    private final LatentSet data;
    private final FlowMatching objective;
    private final double captionDropout;
    private final PromptEncoder text;
    private final LatentScale latentScale;
    private final TextToVideoTask.Sampler sampler;
    private final Map<String, String> metadata;
    private final LinkedHashMap<String, Tensor> contexts = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Tensor> eldest) {
            boolean evict = size() > CACHED_CAPTIONS;
            if (evict) Scopes.release(eldest.getValue());
            return evict;
        }
    };

    /** @param model the base DiT adapted with {@code layers} */
    LoraTask(DiffusionTransformer model, LoraLayers layers, LatentSet data, FlowMatching objective, double captionDropout,
             PromptEncoder text, LatentScale latentScale, TextToVideoTask.Sampler sampler, Map<String, String> metadata) {
        this.model = model;
        this.layers = layers;
        this.data = data;
        this.objective = objective;
        this.captionDropout = captionDropout;
        this.text = text;
        this.latentScale = latentScale;
        this.sampler = sampler;
        this.metadata = Map.copyOf(metadata);
    }

    /** The adapters as {@code lora.<module>.lora_down.weight} / {@code .lora_up.weight}. */
    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        layers.parameters().forEach((k, t) -> all.put(LoraTraining.PREFIX + k, t));
        return all;
    }

    /** The whole batch is drawn and noised; the share's samples alone go through the model. */
    @Override
    public Tensor loss(int step, int micro, Share share, Generator rng) {
        TextToVideoTask.Draw draw = TextToVideoTask.Draw.of(data.size(), share.total(), captionDropout, rng);
        long[] idx = draw.clips();
        List<Tensor> states = new ArrayList<>(share.count());
        for (int b = share.offset(); b < share.offset() + share.count(); b++)
            states.add(context(draw.dropped()[b] ? "" : data.captions().get((int) idx[b])));
        Tensor latents = model.onDevice(latentScale.toDit(data.latents().index_select(0, Tensors.fromLongs(idx, idx.length))));
        FlowMatching.Noised n = objective.noise(latents, rng);
        return FlowMatching.loss(model.forward(share.of(n.input()), share.of(n.timesteps()), states, null), share.of(n.target()));
    }

    /** The frozen encoder's states of {@code caption}, cached. */
    private Tensor context(String caption) {
        return contexts.computeIfAbsent(caption, c -> {
            try (NoGradGuard ng = new NoGradGuard()) {
                return Scopes.pinned(() -> text.encode(c));
            }
        });
    }

    @Override
    public java.util.List<Path> sample(int step, Map<String, Tensor> weights, Path dir) {
        return sampler == null ? java.util.List.of() : sampler.sample(step, weights, latentScale, dir);
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    void close() {
        contexts.values().forEach(Scopes::release);
        contexts.clear();
    }
}
