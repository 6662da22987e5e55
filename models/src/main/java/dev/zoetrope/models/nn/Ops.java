package dev.zoetrope.models.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Tensors;

/** The functional building blocks shared by the text encoder, VAE and DiT. */
public final class Ops {
    private Ops() {}

    /** {@code x·Wᵀ + b}; {@code bias} may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        sameDevice("linear", x, weight, bias);
        return bias == null ? torch.linear(x, weight) : torch.linear(x, weight, new TensorOptional(bias));
    }

    /** A 3D convolution with bias, dilation 1, one group; see {@link #gradientSafeLayout}. */
    public static Tensor conv3d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        sameDevice("conv3d", x, weight, bias);
        if (x.is_meta()) return convShape(x, weight, stride, padding);
        return torch.conv3d(gradientSafeLayout(x), weight, new TensorOptional(bias), stride, padding,
                new long[]{1, 1, 1}, 1);
    }

    /** A 2D convolution with bias, dilation 1, one group; see {@link #gradientSafeLayout}. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        sameDevice("conv2d", x, weight, bias);
        if (x.is_meta()) return convShape(x, weight, stride, padding);
        return torch.conv2d(gradientSafeLayout(x), weight, new TensorOptional(bias), stride, padding,
                new long[]{1, 1}, 1);
    }

    /**
     * The output of a convolution on the {@code meta} device, where libtorch has no convolution kernel: (N, C_out,
     * spatial...) with each size ⌊(n + 2·pad − k)/stride⌋ + 1, in x's dtype. Shapes only, for placement checks.
     */
    private static Tensor convShape(Tensor x, Tensor weight, long[] stride, long[] padding) {
        long[] out = new long[(int) x.dim()];
        out[0] = x.size(0);
        out[1] = weight.size(0);
        for (int i = 2; i < out.length; i++)
            out[i] = (x.size(i) + 2 * padding[i - 2] - weight.size(i)) / stride[i - 2] + 1;
        return torch.empty(out, like(x), new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    /** {@code t} on {@code device}: itself when it is there already or {@code device} is null (the CPU, as made). */
    public static Tensor toDevice(Tensor t, org.bytedeco.pytorch.Device device) {
        return device == null || t.device().equals(device) ? t : t.to(device, ScalarTypes.of(t));
    }

    /** {@code t} on the host, to be read or written out: itself when it is there already. */
    public static Tensor toHost(Tensor t) {
        return t.is_cpu() ? t : toDevice(t, new org.bytedeco.pytorch.Device("cpu"));
    }

    /** {@code t} on the device {@code like} lives on (tables made on the host meeting activations). */
    public static Tensor toDeviceOf(Tensor t, Tensor like) {
        return toDevice(t, like.device());
    }

    /** Options for a new tensor on {@code t}'s device with {@code t}'s dtype. */
    public static org.bytedeco.pytorch.TensorOptions like(Tensor t) {
        return new org.bytedeco.pytorch.TensorOptions(t.device()).dtype(new org.bytedeco.pytorch.ScalarTypeOptional(ScalarTypes.of(t)));
    }

    /**
     * Refuses operands on different devices, naming them. libtorch refuses most such mixes itself, but not every
     * kernel on the {@code meta} device does, and meta is how placement is proven without a GPU.
     */
    public static void sameDevice(String op, Tensor... tensors) {
        Tensor first = null;
        for (Tensor t : tensors) {
            if (t == null) continue;
            if (first == null) first = t;
            else if (!first.device().equals(t.device()))
                throw new IllegalStateException(op + ": expected all tensors on the same device, got "
                        + first.device().str().getString() + " and " + t.device().str().getString());
        }
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

    /** libtorch's scaled dot-product attention over (…, L, D) q, k, v, default scale; shapes only on meta. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v) {
        sameDevice("attention", q, k, v);
        if (q.is_meta()) { // no meta kernel in libtorch 2.10
            long[] out = Tensors.shape(q);
            out[out.length - 1] = v.size(-1);
            return torch.empty(out, like(q), new org.bytedeco.pytorch.MemoryFormatOptional());
        }
        return torch.scaled_dot_product_attention(q, k, v);
    }

    /** Rows of {@code table} (V, D) picked by integer {@code ids}: ids.shape + (D). */
    public static Tensor embedding(Tensor table, Tensor ids) {
        sameDevice("embedding", table, ids);
        if (table.is_meta()) { // libtorch 2.10 has no meta kernel for index_select
            long[] in = Tensors.shape(ids), out = java.util.Arrays.copyOf(in, in.length + 1);
            out[in.length] = table.size(1);
            return torch.empty(out, like(table), new org.bytedeco.pytorch.MemoryFormatOptional());
        }
        return torch.embedding(table, ids);
    }

    /** LayerNorm over the last dim; {@code weight} and {@code bias} may be null (no affine). */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        sameDevice("layer_norm", x, weight, bias);
        if (x.is_meta()) return torch.empty_like(x); // no meta kernel in libtorch 2.10; same shape and dtype
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
