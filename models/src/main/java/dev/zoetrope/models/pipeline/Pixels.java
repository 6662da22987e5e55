package dev.zoetrope.models.pipeline;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.models.nn.Ops;

/** VAE output ↔ 8-bit pixels: clamp to [−1, 1], then {@code (y + 1)·127.5}. */
public final class Pixels {
    private Pixels() {}

    /** Float pixel values in [0, 255] (not rounded), same shape as {@code y}. */
    public static Tensor fromVae(Tensor y) {
        return y.to(ScalarType.Float).clamp(new ScalarOptional(Ops.scalar(-1.0)), new ScalarOptional(Ops.scalar(1.0)))
                .add(Ops.scalar(1.0)).mul(Ops.scalar(127.5));
    }

    /** One (3, H, W) VAE frame as row-major RGB bytes (H·W·3), rounded to the nearest level. */
    public static byte[] rgb(Tensor frame) {
        if (frame.dim() != 3 || frame.size(0) != 3)
            throw new IllegalArgumentException("an RGB frame must be (3, H, W), got " + frame.dim() + " dims");
        // on the meta device there are shapes and no values: a black frame of the right size
        if (frame.is_meta()) return new byte[Math.toIntExact(frame.size(1) * frame.size(2) * 3)];
        return dev.zoetrope.core.engine.Scopes.value(() -> {
            Tensor bytes = fromVae(frame).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous();
            // frames come back to the host one at a time, for encoding
            return dev.zoetrope.core.engine.Tensors.toBytes(Ops.toHost(bytes));
        });
    }
}
