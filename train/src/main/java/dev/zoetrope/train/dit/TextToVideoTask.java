package dev.zoetrope.train.dit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.train.loop.Salience;
import dev.zoetrope.train.loop.Share;
import dev.zoetrope.train.loop.TrainingTask;

/**
 * Flow-matching training of a DiT together with its text encoder (the tiny model trains both from
 * scratch). A micro-batch: B random clips' normalised latents, their captions' token ids (one of a clip's phrasings when it has several; replaced by the
 * empty prompt with probability {@code captionDropout}, so unconditional guidance works), noised at
 * shifted logit-normal sigmas; the loss is the MSE between the DiT's velocity and {@code noise − data}, with latent
 * positions far from their frame's background weighing up to {@code salientWeight} times more ({@link Salience}).
 *
 * <p>It runs where the DiT's and text encoder's weights are: every draw is made on the host from the micro-batch's
 * generator, and the batch (latents, noise; token ids by the encoder, timesteps by the DiT) is moved there.
 */
public final class TextToVideoTask implements TrainingTask {
    private final DiffusionTransformer dit;
    private final T5Encoder text;
    private final LatentSet data;
    private final FlowMatching objective;
    private final double captionDropout;
    private final double salientWeight;
    private final int[] emptyPrompt;
    private final Tensor scale, bias;
    private final LatentScale latentScale;
    private final Sampler sampler;
    private final CaptionAttributes attributes;
    private final double attributeWeight;

    /** Draws sample strips mid-run; may be null. */
    @FunctionalInterface
    public interface Sampler {
        /**
         * @param weights     {@code dit.*} and {@code text.*} weights to sample with (EMA when the trainer keeps it);
         *                    borrowed: read them, never modify them
         * @param latentScale the map from VAE latents to the DiT's space this run trains with
         * @return the PNG pictures written (none when drawing failed)
         */
        java.util.List<Path> sample(int step, Map<String, Tensor> weights, LatentScale latentScale, Path dir);
    }

    /**
     * L1 distance over the channels, per channel, at which a latent position counts as fully salient: one unit of the
     * normalised latents, whose channels have a standard deviation of 0.5. A plain background's positions lie about 0.15
     * from their frame's median in the tiny model's latents; the centre of a subject about 1.2.
     */
    static final double SALIENT_DISTANCE_PER_CHANNEL = 1.0;

    /**
     * @param scale       per-channel latent scale (C), as Linum's {@code video_data_scale}
     * @param bias        per-channel latent bias (C): the DiT sees {@code latent·scale + bias}
     * @param emptyPrompt the token ids of "" (just {@code </s>}), used for dropped captions
     * @param salientWeight weight of a fully salient latent position against the background (1: plain MSE)
     */
    public TextToVideoTask(DiffusionTransformer dit, T5Encoder text, LatentSet data, FlowMatching objective, double captionDropout,
                           double salientWeight, int[] emptyPrompt, float[] scale, float[] bias, Sampler sampler) {
        this(dit, text, data, objective, captionDropout, salientWeight, null, 0, emptyPrompt, scale, bias, sampler);
    }

    /**
     * @param attributes      heads naming each caption's attributes ({@link CaptionAttributes}), trained with the models;
     *                        null for none
     * @param attributeWeight their loss's weight against the flow-matching loss
     */
    TextToVideoTask(DiffusionTransformer dit, T5Encoder text, LatentSet data, FlowMatching objective, double captionDropout,
                    double salientWeight, CaptionAttributes attributes, double attributeWeight, int[] emptyPrompt, float[] scale,
                    float[] bias, Sampler sampler) {
        if (!(salientWeight >= 1)) throw new IllegalArgumentException("salient weight must be ≥ 1, got " + salientWeight);
        this.dit = dit;
        this.text = text;
        this.data = data;
        this.objective = objective;
        this.captionDropout = captionDropout;
        this.salientWeight = salientWeight;
        this.emptyPrompt = emptyPrompt.clone();
        long c = data.latents().size(1);
        this.scale = dev.zoetrope.core.engine.Scopes.pin(Tensors.fromFloats(scale, 1, c, 1, 1, 1));
        this.bias = dev.zoetrope.core.engine.Scopes.pin(Tensors.fromFloats(bias, 1, c, 1, 1, 1));
        this.latentScale = new LatentScale(scale, bias);
        this.sampler = sampler;
        this.attributes = attributes;
        this.attributeWeight = attributeWeight;
    }

    /** DiT parameters as {@code dit.<key>}, text encoder parameters as {@code text.<key>}. */
    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        dit.parameters().forEach((k, t) -> all.put("dit." + k, t));
        text.parameters().forEach((k, t) -> all.put("text." + k, t));
        if (attributes != null) all.putAll(attributes.parameters());
        return all;
    }

    /**
     * A micro-batch's clips and which of them train on the empty prompt, drawn in this order from {@code rng}: B clip
     * indices uniform over the data, then B uniforms compared with the caption dropout.
     */
    public record Draw(long[] clips, boolean[] dropped) {
        public static Draw of(int dataSize, int batchSize, double captionDropout, Generator rng) {
            long[] idx = Tensors.toLongs(torch.randint(dataSize, new long[]{batchSize}, new GeneratorOptional(rng),
                    new TensorOptions(ScalarType.Long)));
            float[] u = Tensors.toFloats(torch.rand(new long[]{batchSize}, new GeneratorOptional(rng), new TensorOptions(ScalarType.Float)));
            boolean[] dropped = new boolean[batchSize];
            for (int b = 0; b < batchSize; b++) dropped[b] = u[b] < captionDropout;
            return new Draw(idx, dropped);
        }
    }

    /** The whole batch is drawn and noised (the draws are cheap); the share's samples alone go through the models. */
    @Override
    public Tensor loss(int step, int micro, Share share, Generator rng) {
        Draw draw = Draw.of(data.size(), share.total(), captionDropout, rng);
        long[] idx = draw.clips();
        int[][] ids = new int[share.count()][];
        for (int b = 0; b < share.count(); b++) {
            int i = share.offset() + b;
            ids[b] = draw.dropped()[i] ? emptyPrompt : phrasing(data.textIds().get((int) idx[i]), step, micro, i);
        }
        // the batch is gathered and scaled on the host, where the data set lives, then moved to the weights' device
        Tensor host = data.latents().index_select(0, Tensors.fromLongs(idx, idx.length)).mul(scale).add(bias);
        Tensor latents = dit.onDevice(host);
        FlowMatching.Noised n = objective.noise(latents, rng);
        Tensor weights = salientWeight == 1 ? null
                : dit.onDevice(share.of(Salience.weights(host, salientWeight, SALIENT_DISTANCE_PER_CHANNEL * host.size(1))));
        List<Tensor> states = new ArrayList<>(text.encode(ids));
        Tensor velocity = dit.forward(share.of(n.input()), share.of(n.timesteps()), states, null);
        Tensor loss = FlowMatching.loss(velocity, share.of(n.target()), weights);
        if (attributes == null) return loss;
        long[] clips = java.util.Arrays.copyOfRange(idx, share.offset(), share.offset() + share.count());
        boolean[] used = new boolean[share.count()];
        for (int b = 0; b < used.length; b++) used[b] = !draw.dropped()[share.offset() + b];
        return loss.add(attributes.loss(states, clips, used).mul(Ops.scalar(attributeWeight)));
    }

    /**
     * One of a clip's phrasings, chosen by a hash of (step, micro-batch, sample) rather than the generator, so data with
     * one phrasing per clip draws exactly what it drew before there were several.
     */
    static int[] phrasing(int[][] rows, int step, int micro, int sample) {
        if (rows.length == 1) return rows[0];
        long z = (step * 1_000_003L + micro) * 1_000_003L + sample;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return rows[(int) Math.floorMod(z ^ (z >>> 31), (long) rows.length)];
    }

    @Override
    public java.util.List<Path> sample(int step, Map<String, Tensor> weights, Path dir) {
        return sampler == null ? java.util.List.of() : sampler.sample(step, weights, latentScale, dir);
    }

    public void close() {
        dev.zoetrope.core.engine.Scopes.release(scale);
        dev.zoetrope.core.engine.Scopes.release(bias);
    }
}
