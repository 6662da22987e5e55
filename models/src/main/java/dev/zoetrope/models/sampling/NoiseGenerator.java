package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Scopes;

/**
 * Seeded standard-normal noise. Each call draws from a fresh libtorch CPU generator (Mersenne Twister) seeded
 * with {@code seed}, never from the global generator, so the same seed and shape give the same float32 noise
 * on every run, thread and machine, independent of anything else drawn in the process. The values equal
 * PyTorch's {@code torch.randn(shape, generator=torch.Generator().manual_seed(seed))} on CPU.
 */
public record NoiseGenerator(long seed) {
    /** A new float32 tensor of {@code shape} with i.i.d. N(0, 1) entries. */
    public Tensor gaussian(long... shape) {
        for (long d : shape)
            if (d < 1) throw new IllegalArgumentException("noise shape must be positive, got " + java.util.Arrays.toString(shape));
        return Scopes.keep(() -> {
            Generator g = torch.createCPUGenerator(seed);
            return torch.randn(shape, new GeneratorOptional(g), new TensorOptions(ScalarType.Float));
        });
    }
}
