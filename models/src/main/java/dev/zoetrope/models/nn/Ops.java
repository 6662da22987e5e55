package dev.zoetrope.models.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** The functional building blocks shared by the text encoder, VAE and DiT. */
public final class Ops {
    private Ops() {}

    /** {@code x·Wᵀ + b}; {@code bias} may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return bias == null ? torch.linear(x, weight) : torch.linear(x, weight, new TensorOptional(bias));
    }

    /** A 3D convolution with bias, dilation 1, one group; see {@link #gradientSafeLayout}. */
    public static Tensor conv3d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        return torch.conv3d(gradientSafeLayout(x), weight, new TensorOptional(bias), stride, padding,
                new long[]{1, 1, 1}, 1);
    }

    /** A 2D convolution with bias, dilation 1, one group; see {@link #gradientSafeLayout}. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        return torch.conv2d(gradientSafeLayout(x), weight, new TensorOptional(bias), stride, padding,
                new long[]{1, 1}, 1);
    }

    /**
     * A convolution input whose gradient autograd will compute goes channels-last. On AVX-512 CPUs, libtorch
     * 2.10's oneDNN returns wrong input gradients (errors as large as the gradients, sometimes NaN) for
     * contiguous 2D/3D convolutions with few channels at batch sizes above one; the channels-last kernels are
     * right and as fast ({@code ConvolutionGradientTest}, docs/performance.md). Inference keeps its layout.
     */
    static Tensor gradientSafeLayout(Tensor x) {
        if (!x.requires_grad()) return x;
        return x.contiguous(x.dim() == 5 ? torch.MemoryFormat.ChannelsLast3d : torch.MemoryFormat.ChannelsLast);
    }

    /** LayerNorm over the last dim; {@code weight} and {@code bias} may be null (no affine). */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        return torch.layer_norm(x, new long[]{x.size(-1)},
                weight == null ? new TensorOptional() : new TensorOptional(weight),
                bias == null ? new TensorOptional() : new TensorOptional(bias), eps, false);
    }

    /** {@code x·rsqrt(mean(x²)+eps)·w} over the last dim, computed in float32, returned in x's dtype. */
    public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        ScalarType dt = x.scalar_type();
        Tensor xf = x.to(ScalarType.Float);
        Tensor norm = xf.mul(torch.rsqrt(xf.pow(scalar(2.0)).mean(new long[]{-1}, true, new org.bytedeco.pytorch.ScalarTypeOptional())
                .add(scalar(eps))));
        Tensor out = norm.to(dt);
        return weight == null ? out : out.mul(weight);
    }

    public static Tensor geluTanh(Tensor x) {
        return torch.gelu(x, "tanh");
    }

    public static Tensor silu(Tensor x) {
        return torch.silu(x);
    }

    /** A floating scalar operand: the one way numbers enter tensor ops. */
    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /** An integral scalar operand (index arithmetic on integer tensors stays integral). */
    public static Scalar scalar(long v) {
        return new Scalar(v);
    }
}
