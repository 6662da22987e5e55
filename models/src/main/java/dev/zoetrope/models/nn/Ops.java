package dev.zoetrope.models.nn;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
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
        if (x.is_meta()) return convOnMeta(x, weight, bias, stride, padding);
        return torch.conv3d(gradientSafeLayout(x), weight, new TensorOptional(bias), stride, padding,
                new long[]{1, 1, 1}, 1);
    }

    /** A 2D convolution with bias, dilation 1, one group; see {@link #gradientSafeLayout}. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        sameDevice("conv2d", x, weight, bias);
        if (x.is_meta()) return convOnMeta(x, weight, bias, stride, padding);
        return torch.conv2d(gradientSafeLayout(x), weight, new TensorOptional(bias), stride, padding,
                new long[]{1, 1}, 1);
    }

    /**
     * A convolution on the {@code meta} device, where libtorch 2.10 has no convolution kernel. When autograd records it
     * (training), {@link #convByTaps}, whose graph reaches the input, kernel and bias; otherwise just the output, (N,
     * C_out, spatial...) with each size ⌊(n + 2·pad − k)/stride⌋ + 1 in x's dtype, as a decode at the released sizes runs
     * thousands of convolutions and needs only their shapes.
     */
    private static Tensor convOnMeta(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        boolean recorded = GradMode.is_enabled() && (x.requires_grad() || weight.requires_grad() || bias != null && bias.requires_grad());
        if (recorded) return convByTaps(x, weight, bias, stride, padding);
        long[] out = new long[(int) x.dim()];
        out[0] = x.size(0);
        out[1] = weight.size(0);
        for (int i = 2; i < out.length; i++)
            out[i] = (x.size(i) + 2 * padding[i - 2] - weight.size(i)) / stride[i - 2] + 1;
        return torch.empty(out, like(x), new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    /**
     * The same convolution from ops that have {@code meta} kernels, where libtorch 2.10 has no convolution: the input's
     * strided windows at each kernel offset are stacked (im2col) and multiplied by the kernel as a matrix. On meta that
     * gives the output's shape, dtype and device, and an autograd graph that reaches the input, kernel and bias, so a
     * training step runs there. {@code bias} may be null.
     */
    static Tensor convByTaps(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        int dims = (int) x.dim() - 2;
        long[] pad = new long[2 * dims];   // constant_pad_nd pads the last dim first
        for (int i = 0; i < dims; i++) pad[2 * (dims - 1 - i)] = pad[2 * (dims - 1 - i) + 1] = padding[i];
        Tensor padded = torch.constant_pad_nd(x, pad, scalar(0.0));
        long[] kernel = new long[dims], out = new long[dims];
        long taps = 1, positions = 1;
        for (int i = 0; i < dims; i++) {
            kernel[i] = weight.size(2 + i);
            out[i] = (x.size(2 + i) + 2 * padding[i] - kernel[i]) / stride[i] + 1;
            taps *= kernel[i];
            positions *= out[i];
        }
        TensorVector windows = new TensorVector();
        for (long tap = 0; tap < taps; tap++) {   // kernel offsets in the kernel's own (row-major) order
            Tensor w = padded;
            for (int i = dims - 1, rest = (int) tap; i >= 0; rest /= (int) kernel[i], i--) {
                long offset = rest % kernel[i];
                w = w.slice(2 + i, new LongOptional(offset), new LongOptional(offset + stride[i] * (out[i] - 1) + 1), stride[i]);
            }
            windows.push_back(w);
        }
        long n = x.size(0), in = x.size(1), cout = weight.size(0);
        Tensor columns = torch.stack(windows, 2).reshape(n, in * taps, positions);   // (N, C_in·taps, positions)
        Tensor y = torch.matmul(weight.reshape(cout, in * taps), columns);
        long[] shape = new long[dims + 2];
        shape[0] = n;
        shape[1] = cout;
        System.arraycopy(out, 0, shape, 2, dims);
        y = y.view(shape);
        if (bias == null) return y;
        long[] column = new long[dims + 2];
        java.util.Arrays.fill(column, 1);
        column[1] = cout;
        return y.add(bias.view(column));
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

    /**
     * libtorch's scaled dot-product attention over (…, L, D) q, k, v, default scale. libtorch 2.10 has no meta kernel
     * for it: on meta, the same softmax(q·kᵀ/√D)·v from matmuls and a softmax, which have one.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v) {
        sameDevice("attention", q, k, v);
        if (q.is_meta())
            return torch.matmul(torch.softmax(torch.matmul(q.mul(scalar(1.0 / Math.sqrt(q.size(-1)))), k.transpose(-1, -2)), -1), v);
        return torch.scaled_dot_product_attention(q, k, v);
    }

    /** Rows of {@code table} (V, D) picked by integer {@code ids}: ids.shape + (D). */
    public static Tensor embedding(Tensor table, Tensor ids) {
        sameDevice("embedding", table, ids);
        if (table.is_meta()) return embeddingByGather(table, ids);
        return torch.embedding(table, ids);
    }

    /** The same lookup as a gather, which has a {@code meta} kernel where libtorch 2.10's index_select has none. */
    static Tensor embeddingByGather(Tensor table, Tensor ids) {
        long[] in = Tensors.shape(ids), out = java.util.Arrays.copyOf(in, in.length + 1);
        long d = table.size(1);
        out[in.length] = d;
        Tensor rows = ids.reshape(-1).unsqueeze(1);
        return table.gather(0, rows.expand(rows.size(0), d)).view(out);
    }

    /** LayerNorm over the last dim; {@code weight} and {@code bias} may be null (no affine). */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        sameDevice("layer_norm", x, weight, bias);
        if (x.is_meta()) return layerNormByOps(x, weight, bias, eps);
        return torch.layer_norm(x, new long[]{x.size(-1)},
                weight == null ? new TensorOptional() : new TensorOptional(weight),
                bias == null ? new TensorOptional() : new TensorOptional(bias), eps, false);
    }

    /** The same normalisation from ops that have {@code meta} kernels, where libtorch 2.10's layer_norm has none. */
    static Tensor layerNormByOps(Tensor x, Tensor weight, Tensor bias, double eps) {
        long[] last = {-1};
        Tensor centered = x.sub(x.mean(last, true, new org.bytedeco.pytorch.ScalarTypeOptional()));
        Tensor variance = centered.pow(scalar(2.0)).mean(last, true, new org.bytedeco.pytorch.ScalarTypeOptional());
        Tensor y = centered.mul(torch.rsqrt(variance.add(scalar(eps))));
        if (weight != null) y = y.mul(weight);
        return bias == null ? y : y.add(bias);
    }

    /** The mean squared error over all elements. */
    public static Tensor mseLoss(Tensor prediction, Tensor target) {
        sameDevice("mse_loss", prediction, target);
        // libtorch 2.10 has a meta kernel for mse_loss but none for its backward: there, the same mean of squares
        if (prediction.is_meta()) return prediction.sub(target).pow(scalar(2.0)).mean();
        return torch.mse_loss(prediction, target);
    }

    /**
     * {@code x} clamped to [{@code min}, {@code max}] (either may be null: unbounded). On meta it is {@code x} itself:
     * clamping changes values, which meta tensors do not have, and libtorch 2.10 has no meta kernel for its backward.
     */
    public static Tensor clamp(Tensor x, Double min, Double max) {
        if (x.is_meta()) return x;
        return torch.clamp(x, min == null ? new ScalarOptional() : new ScalarOptional(scalar(min)),
                max == null ? new ScalarOptional() : new ScalarOptional(scalar(max)));
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
