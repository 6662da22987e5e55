package dev.zoetrope.models.pipeline;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

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

    @Override
    void close();
}
