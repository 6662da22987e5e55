package dev.zoetrope.models.pipeline;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.models.sampling.StepCache;

/** The DiT as the sampler drives it. */
public interface VelocityModel extends AutoCloseable {
    /**
     * The velocity {@code noise − data} at latent {@code x} (B, C, T, H, W), model timestep {@code timestep}, for
     * B text contexts (each (L_b, text_dim); padded by the model to its text length).
     */
    Tensor velocity(Tensor x, double timestep, List<Tensor> contexts);

    /** {@code host} (made on the CPU, e.g. the seeded noise) on the device the model runs on. */
    default Tensor onModelDevice(Tensor host) {
        return host;
    }

    /**
     * This model with {@code cache} deciding at each forward whether the blocks run or their last residual is reused; the
     * view shares the model (closing it closes nothing). A model that cannot skip returns itself.
     */
    default VelocityModel cached(StepCache cache) {
        return this;
    }

    /**
     * This model with LoRA adapters applied on the fly, over the same base weights (which stay untouched); closing it
     * frees only what the adapters added. Models that are not a DiT take none.
     */
    default VelocityModel adapted(dev.zoetrope.models.nn.Adapters adapters) {
        throw new dev.zoetrope.core.InvalidRequestException("this model takes no LoRA adapters per request");
    }

    @Override
    void close();
}
