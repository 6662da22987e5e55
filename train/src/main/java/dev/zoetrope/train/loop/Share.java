package dev.zoetrope.train.loop;

import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;

/**
 * The part of a micro-batch one process computes: samples {@code [offset, offset + count)} of a global batch of
 * {@code total}. A task draws the whole batch's randomness (which samples, which noise) from the micro-batch's generator
 * and computes the loss of its share alone, so the ranks of a data-parallel run see disjoint parts of exactly the batch
 * one process would have drawn, and their mean gradient is that process's gradient.
 */
public record Share(int total, int offset, int count) {
    public Share {
        if (total < 1 || count < 1 || offset < 0 || offset + count > total)
            throw new IllegalArgumentException("share [" + offset + ", " + (offset + count) + ") of a batch of " + total);
    }

    /** The whole batch: a process training alone. */
    public static Share whole(int total) {
        return new Share(total, 0, total);
    }

    /** Rank {@code rank}'s equal share among {@code ranks} (the batch divides, see {@code Topology#perRankBatch}). */
    public static Share of(int total, int rank, int ranks) {
        int each = total / ranks;
        return new Share(total, rank * each, each);
    }

    public boolean isWhole() {
        return count == total;
    }

    /** The share of a tensor batched along dimension 0 (the tensor itself when the share is whole). */
    public Tensor of(Tensor batch) {
        return isWhole() ? batch : batch.narrow(0, offset, count);
    }

    /** The share of per-sample values. */
    public long[] of(long[] batch) {
        return isWhole() ? batch : Arrays.copyOfRange(batch, offset, offset + count);
    }
}
