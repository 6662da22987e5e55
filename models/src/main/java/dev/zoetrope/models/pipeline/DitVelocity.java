package dev.zoetrope.models.pipeline;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.sampling.StepCache;

/** The DiT as a {@link VelocityModel}: every sample of the batch at the same timestep, all latent frames real. */
public final class DitVelocity implements VelocityModel {
    private final DiffusionTransformer dit;

    public DitVelocity(DiffusionTransformer dit) {
        this.dit = dit;
    }

    /** Loads and shape-checks the checkpoint (layout and dims detected; a config.json beside it applies). */
    public static DitVelocity load(Path weights) {
        return new DitVelocity(DiffusionTransformer.load(weights));
    }

    public DiffusionTransformer transformer() {
        return dit;
    }

    @Override
    public Tensor velocity(Tensor x, double timestep, List<Tensor> contexts) {
        return velocity(x, timestep, contexts, null);
    }

    private Tensor velocity(Tensor x, double timestep, List<Tensor> contexts, StepCache cache) {
        double[] t = new double[(int) x.size(0)];
        Arrays.fill(t, timestep);
        return dit.forward(x, t, contexts, null, cache);
    }

    @Override
    public VelocityModel cached(StepCache cache) {
        if (cache == null) return this;
        return new VelocityModel() {
            @Override
            public Tensor velocity(Tensor x, double timestep, List<Tensor> contexts) {
                return DitVelocity.this.velocity(x, timestep, contexts, cache);
            }

            @Override
            public Tensor onModelDevice(Tensor host) {
                return dit.onDevice(host);
            }

            @Override
            public void close() {
                // a view: the model is the DitVelocity's to close
            }
        };
    }

    @Override
    public Tensor onModelDevice(Tensor host) {
        return dit.onDevice(host);
    }

    @Override
    public VelocityModel adapted(dev.zoetrope.models.nn.Adapters adapters) {
        return new DitVelocity(dit.adapted(adapters));
    }

    @Override
    public void close() {
        dit.close();
    }
}
