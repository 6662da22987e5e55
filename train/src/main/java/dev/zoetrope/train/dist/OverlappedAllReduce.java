package dev.zoetrope.train.dist;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.VoidTensorHook;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.nn.Ops;

/**
 * Averages the gradients of {@code params} over the ranks while the backward pass still runs, as PyTorch's DDP does:
 * a hook on each parameter copies its gradient into a flat bucket as soon as autograd has it, and a bucket whose
 * gradients are all in starts its all-reduce at once, so the transfers of the last layers' gradients overlap the
 * backward through the first ones.
 *
 * <p>Buckets hold parameters in reverse declaration order (the order autograd produces their gradients), at most
 * {@code bucketElements} elements of one dtype and device each. They start strictly in bucket order, so every rank
 * issues the same collectives in the same order even if its gradients arrive in another. The sums are those of
 * {@link ProcessGroup#allReduceMean}: the same numbers, reduced earlier.
 *
 * <p>On by default ({@code train --no-grad-overlap} reduces after the backward instead).
 *
 * <p>Use: {@link #arm} before the backward of an optimizer step's last micro-batch (the gradients of the earlier ones
 * are already in {@code .grad}, and the hook adds them), then {@link #finish} after it.
 */
public final class OverlappedAllReduce implements AutoCloseable {
    private final ProcessGroup group;
    private final List<Tensor> params;
    private final List<List<Integer>> buckets = new ArrayList<>();
    private final int[] bucketOf;
    private final long[] offsetOf;
    private final List<VoidTensorHook> hooks = new ArrayList<>();
    private final int[] handles;
    private final Tensor[] flats;
    private final ProcessGroup.InFlight[] inFlight;
    private final int[] ready;
    private final boolean[] filled;
    private volatile boolean armed;
    private int next, startedDuringBackward;

    public OverlappedAllReduce(ProcessGroup group, List<Tensor> params, long bucketElements) {
        this.group = group;
        this.params = List.copyOf(params);
        int n = this.params.size();
        bucketOf = new int[n];
        offsetOf = new long[n];
        List<Tensor> reversed = new ArrayList<>(this.params.reversed());
        int at = n - 1;
        for (List<Tensor> b : ProcessGroup.buckets(reversed, bucketElements)) {
            List<Integer> indexes = new ArrayList<>();
            long offset = 0;
            for (Tensor t : b) {
                int i = at--;
                indexes.add(i);
                bucketOf[i] = buckets.size();
                offsetOf[i] = offset;
                offset += t.numel();
            }
            buckets.add(indexes);
        }
        flats = new Tensor[buckets.size()];
        inFlight = new ProcessGroup.InFlight[buckets.size()];
        ready = new int[buckets.size()];
        filled = new boolean[n];
        handles = new int[n];
        for (int i = 0; i < n; i++) {
            int index = i;
            VoidTensorHook hook = new VoidTensorHook() {
                @Override
                public void call(TensorBase grad) {
                    if (armed) arrived(index, grad);
                }
            };
            hooks.add(hook); // a callback must outlive its registration
            handles[i] = this.params.get(i).register_hook(hook);
        }
    }

    /** How many buckets there are. */
    public int buckets() {
        return buckets.size();
    }

    /** How many buckets of the last step started before the backward returned (the overlap won). */
    public int startedDuringBackward() {
        return startedDuringBackward;
    }

    /** The next backward pass is the step's last: its gradients go to the ranks as they arrive. */
    public void arm() {
        next = 0;
        java.util.Arrays.fill(ready, 0);
        java.util.Arrays.fill(filled, false);
        java.util.Arrays.fill(inFlight, null);
        for (int b = 0; b < flats.length; b++) {
            if (flats[b] != null) continue;
            Tensor first = params.get(buckets.get(b).getFirst());
            long size = 0;
            for (int i : buckets.get(b)) size += params.get(i).numel();
            long elements = size;
            flats[b] = Scopes.pinned(() -> torch.empty(new long[]{elements}, Ops.like(first), new org.bytedeco.pytorch.MemoryFormatOptional()));
        }
        armed = true;
    }

    /** The gradient of parameter {@code i} for this backward: with what earlier micro-batches left in {@code .grad}. */
    private void arrived(int i, TensorBase incoming) {
        if (filled[i]) return;
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            Tensor slot = slot(i);
            Tensor g = new Tensor(incoming).reshape(-1);
            Tensor p = params.get(i);
            if (hasGrad(p)) torch.add_out(slot, p.grad().reshape(-1), g);
            else slot.copy_(g);
            filled[i] = true;
            ready[bucketOf[i]]++;
            startReady();
        }
    }

    private Tensor slot(int i) {
        return flats[bucketOf[i]].narrow(0, offsetOf[i], params.get(i).numel());
    }

    private void startReady() {
        while (next < buckets.size() && ready[next] == buckets.get(next).size()) {
            inFlight[next] = group.startAllReduceSum(flats[next]);
            next++;
        }
    }

    /**
     * After the backward: the buckets not started yet (a parameter no gradient reached, whose slot is then what
     * {@code .grad} holds, or zero) start now; every bucket is waited for in order and its mean written to
     * {@code .grad}.
     */
    public void finish() {
        armed = false;
        startedDuringBackward = next;
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            for (int i = 0; i < params.size(); i++) {
                if (filled[i]) continue;
                Tensor p = params.get(i);
                if (hasGrad(p)) slot(i).copy_(p.grad().reshape(-1));
                else slot(i).zero_();
                filled[i] = true;
                ready[bucketOf[i]]++;
            }
            startReady();
            for (int b = 0; b < buckets.size(); b++) {
                inFlight[b].await();
                flats[b].div_(Ops.scalar(group.worldSize()));
                for (int i : buckets.get(b)) {
                    Tensor p = params.get(i);
                    if (hasGrad(p)) p.grad().copy_(slot(i).view(Tensors.shape(p)));
                }
            }
        }
    }

    private static boolean hasGrad(Tensor p) {
        Tensor g = p.grad();
        return g != null && !g.isNull() && g.defined();
    }

    /** Removes the hooks and frees the buckets. */
    @Override
    public void close() {
        armed = false;
        for (int i = 0; i < params.size(); i++) params.get(i).remove_hook(handles[i]);
        for (Tensor f : flats) Scopes.release(f);
    }
}
