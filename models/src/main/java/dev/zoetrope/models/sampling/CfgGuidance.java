package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.models.nn.Ops;

/** Classifier-free guidance: {@code v = v_null + scale·(v_cond − v_null)}. */
public record CfgGuidance(double scale) implements Guidance {
    /** {@code v_null + scale·(v_cond − v_null)}: at scale 1 the null prediction does not count. */
    @Override
    public boolean needsUncond() {
        return scale != 1;
    }

    @Override
    public Tensor combine(Tensor cond, Tensor uncond) {
        Tensor u = uncond.to(ScalarType.Float);
        return u.add(cond.to(ScalarType.Float).sub(u).mul(Ops.scalar(scale)));
    }

    @Override
    public void close() {}
}
