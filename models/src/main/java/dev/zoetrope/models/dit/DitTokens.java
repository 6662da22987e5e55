package dev.zoetrope.models.dit;

import java.util.function.UnaryOperator;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.nn.ScalarTypes;

/**
 * What every block of one forward shares about the token sequence.
 *
 * @param e0          time modulation (B, 6, dim), float32
 * @param text        embedded text (B, text_len, dim), compute dtype
 * @param ropeTable   rotations of the token grid, see {@link RotaryEmbedding3d#table}
 * @param validTokens per sample, how many leading tokens are real (frame mask); null when all are
 * @param tokenMask   (B, N, 1) float32, 1 for real tokens, 0 for masked; null when all are real
 */
record DitTokens(Tensor e0, Tensor text, Tensor ropeTable, long[] validTokens, Tensor tokenMask,
                 Attention attention, ScalarType computeType, int numHeads, int headDim) {

    /** RoPE on (B, N, dim); float32 out. */
    Tensor rope(Tensor x) {
        Tensor rotated = RotaryEmbedding3d.apply(x.view(x.size(0), x.size(1), numHeads, headDim), ropeTable);
        return rotated.view(x.size(0), x.size(1), (long) numHeads * headDim);
    }

    /** x in the compute dtype: one cast of a float32 activation shared by the Linears that read it. */
    Tensor toCompute(Tensor x) {
        return ScalarTypes.cast(x, computeType);
    }

    /** {@code y·mask}: zeroes the tokens of masked frames (identity when no frame is masked). */
    Tensor maskTokens(Tensor y) {
        return tokenMask == null ? y : y.mul(tokenMask);
    }

    /** Hidden activations one token block of {@link #tokenChunked} aims at (both of its hidden tensors together). */
    static final long HIDDEN_BLOCK_BYTES = 64L << 20;

    /**
     * Applies a token-wise {@code fn} whose hidden activations are {@code hiddenWidth} wide in blocks of tokens: about
     * {@link #HIDDEN_BLOCK_BYTES} of hidden activations per block (1,024 tokens of the Linum FFN in bf16, batch 2), never
     * more than the attention workspace bound. The hidden activations of one block are freed before the next, so they
     * never take more memory than that at any token count, and the element-wise op between the two matmuls (GELU) runs
     * on data that is still in the caches. Exact: the function treats tokens independently.
     */
    Tensor tokenChunked(Tensor h, long hiddenWidth, UnaryOperator<Tensor> fn) {
        long b = h.size(0), n = h.size(1);
        long bytesPerToken = Math.max(1, b * hiddenWidth * 2L * elementSize());
        long bound = Math.max(1, attention.options().workspaceBytes() / bytesPerToken);
        long block = Math.min(bound, Math.max(256, HIDDEN_BLOCK_BYTES / bytesPerToken));
        if (block >= n || h.is_meta()) return fn.apply(h);
        TensorVector parts = new TensorVector();
        for (long start = 0; start < n; start += block) {
            Tensor part = h.narrow(1, start, Math.min(block, n - start));
            parts.push_back(Scopes.keep(() -> fn.apply(part)));
        }
        return torch.cat(parts, 1);
    }

    private int elementSize() {
        return ScalarTypes.same(computeType, ScalarType.Float) ? 4 : ScalarTypes.same(computeType, ScalarType.Double) ? 8 : 2;
    }
}
