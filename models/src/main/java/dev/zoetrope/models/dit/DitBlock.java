package dev.zoetrope.models.dit;

import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.LayerNorm;
import dev.zoetrope.models.nn.Linear;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.nn.Role;

/**
 * One transformer block: adaLN-modulated self-attention with 3D RoPE, cross-attention over the text, and a
 * GELU(tanh) FFN. The residual stream x is float32; Linears compute in the weights' dtype.
 */
final class DitBlock {
    private final DitConfig config;
    private final LayerNorm norm1, norm2, norm3;
    private final Tensor modulation;
    private final Linear selfQ, selfK, selfV, selfO, crossQ, crossK, crossV, crossO, ffnIn, ffnOut;
    private final Tensor selfNormQ, selfNormK, crossNormQ, crossNormK;

    DitBlock(Params p, DitConfig c, int index) {
        this.config = c;
        String b = "blocks." + index + ".";
        long dim = c.dim();
        norm1 = LayerNorm.load(p, b + "norm1", dim, c.affineModulatedNorms(), c.layerNormEps());
        norm2 = LayerNorm.load(p, b + "norm2", dim, c.affineModulatedNorms(), c.layerNormEps());
        norm3 = c.crossAttnNorm() ? LayerNorm.load(p, b + "norm3", dim, true, c.layerNormEps()) : null;
        modulation = LayerNorm.float32(p, b + "modulation", Role.TABLE, 1, 6, dim);
        selfQ = Linear.load(p, b + "self_attn.q", dim, dim, true);
        selfK = Linear.load(p, b + "self_attn.k", dim, dim, true);
        selfV = Linear.load(p, b + "self_attn.v", dim, dim, true);
        selfO = Linear.load(p, b + "self_attn.o", dim, dim, true);
        crossQ = Linear.load(p, b + "cross_attn.q", dim, dim, true);
        crossK = Linear.load(p, b + "cross_attn.k", dim, dim, c.crossAttnKvBias());
        crossV = Linear.load(p, b + "cross_attn.v", dim, dim, c.crossAttnKvBias());
        crossO = Linear.load(p, b + "cross_attn.o", dim, dim, true);
        selfNormQ = c.qkNorm() ? LayerNorm.float32(p, b + "self_attn.norm_q.weight", Role.GAIN, dim) : null;
        selfNormK = c.qkNorm() ? LayerNorm.float32(p, b + "self_attn.norm_k.weight", Role.GAIN, dim) : null;
        crossNormQ = c.qkNorm() ? LayerNorm.float32(p, b + "cross_attn.norm_q.weight", Role.GAIN, dim) : null;
        crossNormK = c.qkNorm() ? LayerNorm.float32(p, b + "cross_attn.norm_k.weight", Role.GAIN, dim) : null;
        ffnIn = Linear.load(p, b + "ffn.0", c.ffnDim(), dim, true);
        ffnOut = Linear.load(p, b + "ffn.2", dim, c.ffnDim(), true);
    }

    /**
     * x (B, N, dim) float32 → x after this block. Each residual step runs in its own scope and each chain of
     * token-wise ops frees its links as it goes, so a step's temporaries never pile up: the activation peak is
     * what {@code MemoryPlan} counts (docs/performance.md, "Memory plan").
     */
    Tensor forward(Tensor x, DitTokens ctx) {
        // m = modulation + e0, split into m0..m5, each (B, 1, dim)
        Tensor m = modulation.add(ctx.e0());
        Tensor m0 = m.narrow(1, 0, 1), m1 = m.narrow(1, 1, 1), m2 = m.narrow(1, 2, 1);
        Tensor m3 = m.narrow(1, 3, 1), m4 = m.narrow(1, 4, 1), m5 = m.narrow(1, 5, 1);
        try (Scopes.Carried<Tensor> stream = Scopes.carry(x)) {
            // 1. h = LN(x)·(1+m1) + m0;  2-3. self-attention, gated residual
            stream.update(r -> torch.addcmul(r, selfAttention(modulated(r, norm1, m1, m0, ctx), ctx), m2));
            // 4. cross-attention on LN3(x), plain residual
            stream.update(r -> r.add(crossAttention(Scopes.keep(() -> ctx.toCompute(norm3 == null ? r : norm3.apply(r))), ctx)));
            // 5-6. y = FFN(LN(x)·(1+m4) + m3), masked, gated residual
            stream.update(r -> torch.addcmul(r, ctx.maskTokens(ffn(modulated(r, norm2, m4, m3, ctx), ctx)), m5));
            return stream.result();
        }
    }

    /** {@code LN(x)·(1+m1) + m0} of this block in float32: the timestep-modulated input a {@code StepCache} watches. */
    Tensor modulatedInput(Tensor x, DitTokens ctx) {
        Tensor m = modulation.add(ctx.e0());
        return modulate(norm1.apply(x), m.narrow(1, 1, 1), m.narrow(1, 0, 1));
    }

    /** {@code LN(x)·(1+scale) + shift} in the compute dtype; its float32 temporaries are freed on return. */
    private static Tensor modulated(Tensor x, LayerNorm norm, Tensor scale, Tensor shift, DitTokens ctx) {
        return Scopes.keep(() -> ctx.toCompute(modulate(norm.apply(x), scale, shift)));
    }

    /**
     * q, k, v are Linears with bias; RMSNorm on q and k; 3D RoPE on q and k; attention over valid(q) ∧ valid(k),
     * which the attention kernel applies by attending within each sample's valid tokens only (the same as
     * masking q, k and v); o is a Linear; the output is masked.
     */
    private Tensor selfAttention(Tensor h, DitTokens ctx) {
        Tensor q = projectedHeads(h, selfQ, selfNormQ, true, ctx);
        Tensor k = projectedHeads(h, selfK, selfNormK, true, ctx);
        Tensor v = projectedHeads(h, selfV, null, false, ctx);
        Tensor attn = ctx.attention().apply(q, k, v, ctx.validTokens());
        return ctx.maskTokens(selfO.apply(mergeHeads(attn)));
    }

    /** q from the video tokens, k and v from the text tokens (no key mask: padded text rows are attended). */
    private Tensor crossAttention(Tensor h, DitTokens ctx) {
        Tensor q = projectedHeads(h, crossQ, crossNormQ, false, ctx);
        Tensor k = projectedHeads(ctx.text(), crossK, crossNormK, false, ctx);
        Tensor v = projectedHeads(ctx.text(), crossV, null, false, ctx);
        Tensor attn = ctx.attention().apply(q, k, v, null);
        return ctx.maskTokens(crossO.apply(mergeHeads(attn)));
    }

    /**
     * {@code proj(h)}, RMS-normed in float32 ({@code norm}: q and k of a model with qk norm, else null), rotated
     * ({@code rope}), as (B, L, H, D) in the compute dtype. Each link frees the one before once it exists: the float32 and float64 copies of a projection
     * are alive one at a time.
     */
    private Tensor projectedHeads(Tensor h, Linear proj, Tensor norm, boolean rope, DitTokens ctx) {
        try (Scopes.Carried<Tensor> t = Scopes.carry(h)) {
            t.update(proj::apply);
            if (norm != null) t.update(y -> qkNorm(y, norm));
            if (rope) t.update(ctx::rope);
            t.update(y -> heads(y, ctx));
            return t.result();
        }
    }

    private Tensor ffn(Tensor h, DitTokens ctx) {
        return ctx.tokenChunked(h, config.ffnDim(), part -> ffnOut.apply(Ops.geluTanh(ffnIn.apply(part))));
    }

    /** {@code LN(x)·(1+scale) + shift}, in float32, in one pass over the tokens. */
    static Tensor modulate(Tensor normed, Tensor scale, Tensor shift) {
        return torch.addcmul(shift, normed, scale.add(Ops.scalar(1.0)));
    }

    /**
     * RMSNorm over the whole dim (all heads together), in float32: the mean square comes from one reduction over x as it
     * is (no float32 copy of x or of x²), and x·rsqrt(mean(x²)+eps) promotes to float32 as it multiplies.
     */
    private Tensor qkNorm(Tensor x, Tensor weight) {
        Tensor norm = torch.linalg_vector_norm(x, Ops.scalar(2.0), new long[]{-1}, true, new ScalarTypeOptional(ScalarType.Float));
        Tensor inverseRms = torch.rsqrt(norm.square().div(Ops.scalar((double) x.size(-1))).add(Ops.scalar(config.rmsNormEps())));
        return x.mul(inverseRms).mul(weight);
    }

    /**
     * (B, L, dim) → (B, L, H, D) in the compute dtype, as a view of head-major (B, H, L, D) storage: the cast and the
     * layout change the attention needs are one pass, and the attention takes the heads without a copy.
     */
    private Tensor heads(Tensor x, DitTokens ctx) {
        Tensor t = x.view(x.size(0), x.size(1), config.numHeads(), config.headDim()).transpose(1, 2);
        return t.to(ctx.computeType(), false, false, new MemoryFormatOptional(torch.MemoryFormat.Contiguous)).transpose(1, 2);
    }

    private static Tensor mergeHeads(Tensor x) {
        return x.reshape(x.size(0), x.size(1), x.size(2) * x.size(3));
    }
}
