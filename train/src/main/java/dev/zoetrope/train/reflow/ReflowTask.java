package dev.zoetrope.train.reflow;

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
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.train.dit.FlowMatching;
import dev.zoetrope.train.dit.TextToVideoTask;
import dev.zoetrope.train.loop.Share;
import dev.zoetrope.train.loop.TrainingTask;

/**
 * Reflow (Liu et al. 2022) on fixed couplings: a micro-batch is B random pairs (noise, latent) of the teacher, a sigma
 * near one of the student's sampling steps ({@link FlowMatching#aroundSteps}), the point {@code (1−σ)·latent + σ·noise}
 * on the straight line between them, and the target velocity {@code noise − latent} along it. The latents are what the
 * teacher drew <em>with</em> guidance, so the student learns the guided flow from its conditional branch alone.
 *
 * <p>Only the student's DiT trains; its text contexts are the teacher's frozen encoder's, computed once per caption. As
 * in {@link TextToVideoTask}, every draw is made on the host from the micro-batch's generator and the batch is moved to
 * the weights' device.
 */
final class ReflowTask implements TrainingTask {
    private final DiffusionTransformer student;
    private final Couplings pairs;
    private final List<Tensor> contexts;
    private final float[] schedule;
    private final double jitter, uniformShare;
    private final LatentScale latentScale;
    private final TextToVideoTask.Sampler sampler;

    /**
     * @param contexts    the frozen text states of each of {@code pairs.captions()}, on the student's device
     * @param schedule    the student's sampling schedule (n + 1 sigmas, the last 0)
     * @param latentScale the teacher's map from VAE latents to the DiT's space (the strips decode with it)
     */
    ReflowTask(DiffusionTransformer student, Couplings pairs, List<Tensor> contexts, float[] schedule, double jitter,
               double uniformShare, LatentScale latentScale, TextToVideoTask.Sampler sampler) {
        this.student = student;
        this.pairs = pairs;
        this.contexts = contexts;
        this.schedule = schedule.clone();
        this.jitter = jitter;
        this.uniformShare = uniformShare;
        this.latentScale = latentScale;
        this.sampler = sampler;
    }

    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        student.parameters().forEach((k, t) -> all.put("dit." + k, t));
        return all;
    }

    /** The whole batch's pairs and sigmas are drawn; the share's pairs alone are read and computed. */
    @Override
    public Tensor loss(int step, int micro, Share share, Generator rng) {
        int batchSize = share.total();
        long[] all = Tensors.toLongs(torch.randint(pairs.size(), new long[]{batchSize}, new GeneratorOptional(rng),
                new TensorOptions(ScalarType.Long)));
        Tensor sigmas = share.of(FlowMatching.aroundSteps(schedule, jitter, uniformShare, batchSize, rng));
        long[] idx = share.of(all);
        Tensor rows = Tensors.fromLongs(idx, idx.length);
        Tensor latents = student.onDevice(pairs.latents().index_select(0, rows));
        Tensor noise = student.onDevice(pairs.noise().index_select(0, rows));
        List<Tensor> text = new ArrayList<>(idx.length);
        for (long i : idx) text.add(contexts.get(pairs.caption((int) i)));
        FlowMatching.Noised n = FlowMatching.at(latents, noise, sigmas);
        return FlowMatching.loss(student.forward(n.input(), n.timesteps(), text, null), n.target());
    }

    @Override
    public java.util.List<Path> sample(int step, Map<String, Tensor> weights, Path dir) {
        return sampler == null ? java.util.List.of() : sampler.sample(step, weights, latentScale, dir);
    }
}
