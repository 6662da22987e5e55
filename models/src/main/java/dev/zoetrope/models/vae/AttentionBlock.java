package dev.zoetrope.models.vae;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.ScalarTypes;
import dev.zoetrope.models.nn.Params;

/** Single-head self-attention over the pixels of each frame separately, with a residual connection. */
final class AttentionBlock implements VaeBlock {
    private static final Attention BF16_ATTENTION = new Attention(Attention.Options.defaults().withKernel(Attention.Kernel.CHUNKED));
    private final ChannelRmsNorm norm;
    private final Conv2d toQkv;
    private final Conv2d proj;

    AttentionBlock(Params p, String key, int dim, ConvMeter flops) {
        norm = new ChannelRmsNorm(p, key + ".norm", dim, true);
        toQkv = new Conv2d(p, key + ".to_qkv", dim, 3 * dim, 1, 1, 0, flops);
        proj = new Conv2d(p, key + ".proj", dim, dim, 1, 1, 0, flops);
    }

    @Override
    public Tensor forward(Tensor x, TimeCache cache) {
        long b = x.size(0), c = x.size(1), t = x.size(2), h = x.size(3), w = x.size(4);
        Tensor frames = Frames.flatten(x);
        // (bt, 3c, h, w) → (bt, 1, hw, 3c): channels [0,c) are q, [c,2c) k, [2c,3c) v.
        Tensor qkv = toQkv.forward(norm.forward(frames)).reshape(b * t, 1, 3 * c, h * w).permute(0, 1, 3, 2);
        Tensor q = qkv.narrow(3, 0, c).contiguous();
        Tensor k = qkv.narrow(3, c, c).contiguous();
        Tensor v = qkv.narrow(3, 2 * c, c).contiguous();
        // (bt, hw, c): libtorch's SDPA in float32 (what training and the golden fixtures use); in bf16 the models' tiled
        // attention, as libtorch's CPU SDPA falls to a scalar gemm there (Attention)
        Tensor a = ScalarTypes.same(q.scalar_type(), ScalarType.BFloat16)
                ? BF16_ATTENTION.apply(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), null).squeeze(2)
                : Ops.scaledDotProductAttention(q, k, v).squeeze(1);
        Tensor out = proj.forward(a.permute(0, 2, 1).reshape(b * t, c, h, w));
        return Frames.unflatten(out, b, t).add(x);
    }
}
