package dev.zoetrope.train.vae;

import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.loop.TrainingTask;

/**
 * Trains a Wan-architecture VAE: reconstruction (MSE in [−1, 1] pixels) plus a small KL term toward N(0, 1),
 * on random windows of {@code 1 + 4k} frames (the first frame alone and k chunks, as encoding sees them).
 * The latent is sampled with the reparameterisation trick.
 */
public final class VaeTrainingTask implements TrainingTask {
    private final WanVae vae;
    private final ClipSet clips;
    private final int windowFrames;
    private final double klWeight;

    public VaeTrainingTask(WanVae vae, ClipSet clips, int windowFrames, double klWeight) {
        if ((windowFrames - 1) % vae.config().temporalFactor() != 0)
            throw new IllegalArgumentException("window of " + windowFrames + " frames is not 1 + " + vae.config().temporalFactor() + "k");
        if (windowFrames > clips.frames())
            throw new IllegalArgumentException("window of " + windowFrames + " frames is longer than the clips (" + clips.frames() + ")");
        this.vae = vae;
        this.clips = clips;
        this.windowFrames = windowFrames;
        this.klWeight = klWeight;
    }

    @Override
    public Map<String, Tensor> parameters() {
        return vae.params().loaded();
    }

    @Override
    public Tensor loss(int step, int micro, int batchSize, Generator rng) {
        long[] idx = Tensors.toLongs(torch.randint(clips.size(), new long[]{batchSize}, new GeneratorOptional(rng), new TensorOptions(ScalarType.Long)));
        int start = (int) Tensors.toLongs(torch.randint(clips.frames() - windowFrames + 1, new long[]{1}, new GeneratorOptional(rng),
                new TensorOptions(ScalarType.Long)))[0];
        Tensor x = clips.batch(idx, start, windowFrames);
        WanVae.Posterior q = vae.posterior(x);
        Tensor logVar = torch.clamp(q.logVariance(), new org.bytedeco.pytorch.ScalarOptional(new Scalar(-30.0)),
                new org.bytedeco.pytorch.ScalarOptional(new Scalar(20.0)));
        Tensor eps = torch.randn(Tensors.shape(q.mean()), new GeneratorOptional(rng), new TensorOptions(ScalarType.Float));
        Tensor z = q.mean().add(eps.mul(torch.exp(logVar.mul(new Scalar(0.5)))));
        Tensor recon = vae.reconstruct(z);
        Tensor mse = torch.mse_loss(recon, x);
        Tensor kl = q.mean().pow(new Scalar(2)).add(torch.exp(logVar)).sub(new Scalar(1.0)).sub(logVar).mean().mul(new Scalar(0.5));
        return mse.add(kl.mul(new Scalar(klWeight)));
    }

    @Override
    public void sample(int step, Map<String, Tensor> weights, Path dir) {
        // Reconstructions are judged by PSNR at the end of training (VaeEvaluation), not by strips mid-run.
    }

    public WanVae vae() {
        return vae;
    }
}
