package dev.zoetrope.train.vae;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

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
import dev.zoetrope.train.loop.Salience;
import dev.zoetrope.train.loop.Share;
import dev.zoetrope.train.loop.TrainingTask;
import dev.zoetrope.models.nn.Ops;

/**
 * Trains a Wan-architecture VAE: reconstruction (weighted squared or absolute error in [−1, 1] pixels,
 * {@link Reconstruction}) plus a small KL term toward N(0, 1),
 * on random windows of {@code 1 + 4k} frames (the first frame alone and k chunks, as encoding sees them).
 * The window length may change with the step: short windows are cheaper per step, but only windows as long
 * as the clips train the later chunks' time cache that generation's decode relies on, so a schedule ends on them.
 * The length is a function of the step alone, so a resumed run draws the same windows.
 * The latent is sampled with the reparameterisation trick.
 *
 * <p>Salient pixels weigh more ({@link Salience}; a pixel is fully salient {@value #SALIENT_DISTANCE} from its frame's
 * median colour): when the subject covers a few percent of the frame, as in the synthetic world, plain MSE is nearly
 * minimised by drawing the background alone, and a small VAE on a short budget settles there: grey blobs of the wrong
 * colour.
 *
 * <p>An optional edge term adds the mean absolute difference between the reconstruction's and the clip's image
 * gradients (horizontal and vertical neighbour differences; the gradient difference loss of Mathieu, Couprie and LeCun
 * 2016, "Deep multi-scale video prediction beyond mean square error"). Squared error is minimised by the blurred mean of
 * the plausible pictures, so a small VAE rounds a square's corners; the gradients are zero except on edges, where they
 * ask for the step to be as sharp and as placed as in the clip.
 */
public final class VaeTrainingTask implements TrainingTask {
    /**
     * How a pixel's error counts. Squared error makes a soft edge cheap where the step is small: a rounded corner of a
     * purple square costs 0.75 on gray against 4.07 on black (squares summed over the channels), so a small VAE rounds
     * corners on gray first. The absolute error weighs a step in proportion to its size (the ratio falls from 5.4 to
     * 2.3) and is minimised by the median of the plausible pictures rather than their blurred mean.
     */
    public enum Reconstruction {
        /** Squared error: {@code (recon − x)²}. */
        L2,
        /** Absolute error: {@code |recon − x|}. */
        L1;

        /** The recipe's spelling ({@code "l2"}, {@code "l1"}), refused otherwise naming both. */
        public static Reconstruction parse(String name) {
            for (Reconstruction r : values()) if (r.name().equalsIgnoreCase(name.trim())) return r;
            throw new IllegalArgumentException("reconstruction must be \"l2\" or \"l1\", not \"" + name + "\"");
        }

        Tensor error(Tensor diff) {
            return switch (this) {
                case L2 -> diff.pow(Ops.scalar(2));
                case L1 -> diff.abs();
            };
        }
    }

    private final WanVae vae;
    private final ClipSet clips;
    private final IntUnaryOperator windowAt;
    private final double klWeight;
    private final double salientWeight;
    private final double edgeWeight;
    private final Reconstruction reconstruction;
    /** Colour distance (L1 over RGB in [−1, 1] units) at which a pixel counts as fully salient: about 40 levels per channel. */
    static final double SALIENT_DISTANCE = 0.9;

    public VaeTrainingTask(WanVae vae, ClipSet clips, int windowFrames, double klWeight, double salientWeight) {
        this(vae, clips, step -> windowFrames, List.of(windowFrames), klWeight, salientWeight, 0, Reconstruction.L2);
    }

    /**
     * @param windowAt the window length at each step
     * @param windows  every length {@code windowAt} can return, validated up front
     * @param edgeWeight weight of the image-gradient term (0: none)
     * @param reconstruction how a pixel's error counts
     */
    public VaeTrainingTask(WanVae vae, ClipSet clips, IntUnaryOperator windowAt, List<Integer> windows, double klWeight, double salientWeight,
                           double edgeWeight, Reconstruction reconstruction) {
        if (!(salientWeight >= 1)) throw new IllegalArgumentException("salient weight must be ≥ 1, got " + salientWeight);
        if (!(edgeWeight >= 0 && Double.isFinite(edgeWeight))) throw new IllegalArgumentException("edge weight must be ≥ 0, got " + edgeWeight);
        for (int windowFrames : windows) {
            if (windowFrames < 1 || (windowFrames - 1) % vae.config().temporalFactor() != 0)
                throw new IllegalArgumentException("window of " + windowFrames + " frames is not 1 + " + vae.config().temporalFactor() + "k");
            if (windowFrames > clips.frames())
                throw new IllegalArgumentException("window of " + windowFrames + " frames is longer than the clips (" + clips.frames() + ")");
        }
        this.vae = vae;
        this.clips = clips;
        this.windowAt = windowAt;
        this.klWeight = klWeight;
        this.salientWeight = salientWeight;
        this.edgeWeight = edgeWeight;
        this.reconstruction = java.util.Objects.requireNonNull(reconstruction, "reconstruction");
    }

    @Override
    public Map<String, Tensor> parameters() {
        return vae.params().loaded();
    }

    /** The whole batch's clips and posterior noise are drawn; the share's clips alone are read and computed. */
    @Override
    public Tensor loss(int step, int micro, Share share, Generator rng) {
        int batchSize = share.total();
        int windowFrames = windowAt.applyAsInt(step);
        long[] idx = Tensors.toLongs(torch.randint(clips.size(), new long[]{batchSize}, new GeneratorOptional(rng), new TensorOptions(ScalarType.Long)));
        int start = (int) Tensors.toLongs(torch.randint(clips.frames() - windowFrames + 1, new long[]{1}, new GeneratorOptional(rng),
                new TensorOptions(ScalarType.Long)))[0];
        // the clips and their pixel weights are made on the host, then moved to the weights' device
        Tensor host = clips.batch(share.of(idx), start, windowFrames);
        Tensor weights = vae.onDevice(Salience.weights(host, salientWeight, SALIENT_DISTANCE));
        Tensor x = vae.onDevice(host);
        WanVae.Posterior q = vae.posterior(x);
        Tensor logVar = Ops.clamp(q.logVariance(), -30.0, 20.0);
        // drawn on the host from the micro-batch's generator: a seed gives the same run on every device
        long[] whole = Tensors.shape(q.mean());
        whole[0] = batchSize;
        Tensor eps = vae.onDevice(share.of(torch.randn(whole, new GeneratorOptional(rng), new TensorOptions(ScalarType.Float))));
        Tensor z = q.mean().add(eps.mul(torch.exp(logVar.mul(Ops.scalar(0.5)))));
        Tensor recon = vae.reconstruct(z);
        Tensor error = reconstruction.error(recon.sub(x)).mul(weights).mean();
        Tensor kl = q.mean().pow(Ops.scalar(2)).add(torch.exp(logVar)).sub(Ops.scalar(1.0)).sub(logVar).mean().mul(Ops.scalar(0.5));
        Tensor loss = error.add(kl.mul(Ops.scalar(klWeight)));
        return edgeWeight == 0 ? loss : loss.add(edgeDifference(recon, x).mul(Ops.scalar(edgeWeight)));
    }

    /** Mean absolute difference of the horizontal and of the vertical neighbour differences of (B, C, T, H, W) videos. */
    static Tensor edgeDifference(Tensor recon, Tensor x) {
        Tensor total = null;
        for (int axis : new int[]{3, 4}) {
            long n = x.size(axis) - 1;
            Tensor dr = recon.narrow(axis, 1, n).sub(recon.narrow(axis, 0, n));
            Tensor dx = x.narrow(axis, 1, n).sub(x.narrow(axis, 0, n));
            Tensor term = dr.sub(dx).abs().mean();
            total = total == null ? term : total.add(term);
        }
        return total;
    }

    @Override
    public java.util.List<Path> sample(int step, Map<String, Tensor> weights, Path dir) {
        // Reconstructions are judged by PSNR at the end of training (VaeEvaluation), not by strips mid-run.
        return java.util.List.of();
    }

    /** The window length trained at {@code step}. */
    public int windowAt(int step) {
        return windowAt.applyAsInt(step);
    }

    public WanVae vae() {
        return vae;
    }
}
