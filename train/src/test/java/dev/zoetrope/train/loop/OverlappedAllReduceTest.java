package dev.zoetrope.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.train.dist.OverlappedAllReduce;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.dist.Topology;

/** The all-reduce during the backward ({@link OverlappedAllReduce}), two ranks as threads of this JVM. */
class OverlappedAllReduceTest {
    @Test
    void theAllReduceDuringTheBackwardGivesTheNumbersOfTheOneAfterIt(@TempDir Path dir) throws Exception {
        TrainConfig cfg = TrainerTest.config(12); // 2 micro-batches: the hooks add the first one's gradients
        List<float[]> after = DataParallelTest.twoRanks(dir.resolve("after"), cfg, 8, false);
        List<float[]> during = DataParallelTest.twoRanks(dir.resolve("during"), cfg, 8, true);
        for (int i = 0; i < after.size(); i++)
            assertTrue(java.util.Arrays.equals(after.get(i), during.get(i)), "parameter " + i + ": the same sums, bit for bit");
        List<float[]> oneBucket = DataParallelTest.twoRanks(dir.resolve("one"), cfg, 1L << 22, true);
        for (int i = 0; i < after.size(); i++)
            assertTrue(java.util.Arrays.equals(after.get(i), oneBucket.get(i)), "parameter " + i + " with one bucket");
    }

    @Test
    void bucketsStartWhileTheBackwardStillRuns() throws Exception {
        int port = DataParallelTest.freePort();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<int[]>> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            int rank = r;
            ranks.add(pool.submit(() -> {
                ToyRegression task = new ToyRegression(7);
                List<Tensor> params = new ArrayList<>(task.parameters().values());
                try (ProcessGroup g = ProcessGroup.join(new Topology(rank, 2, rank, "127.0.0.1", port), Duration.ofSeconds(60), false);
                     OverlappedAllReduce sync = new OverlappedAllReduce(g, params, 8);
                     org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
                    Share share = Share.of(64, rank, 2);
                    // each rank's own gradient, kept to check the mean against
                    task.loss(0, 0, share, org.bytedeco.pytorch.global.torch.make_generator_cpu(5)).backward();
                    List<float[]> own = new ArrayList<>();
                    for (Tensor p : params) own.add(Tensors.toFloats(p.grad()));
                    for (Tensor p : params) p.grad().zero_();
                    sync.arm();
                    task.loss(0, 0, share, org.bytedeco.pytorch.global.torch.make_generator_cpu(5)).backward();
                    sync.finish();
                    List<Tensor> mine = new ArrayList<>();
                    for (float[] f : own) mine.add(Tensors.fromFloats(f, f.length));
                    g.allReduceMean(mine);
                    for (int i = 0; i < params.size(); i++)
                        assertTrue(java.util.Arrays.equals(Tensors.toFloats(mine.get(i)), Tensors.toFloats(params.get(i).grad().reshape(-1))),
                                "parameter " + i + " holds the mean over the ranks");
                    return new int[]{sync.buckets(), sync.startedDuringBackward()};
                } finally {
                    task.close();
                }
            }));
        }
        for (Future<int[]> f : ranks) {
            int[] got = f.get();
            assertEquals(4, got[0], "w1, b1, w2 and b2 in buckets of 8 elements: w1 and w2 alone, b1 alone, b2 alone");
            assertEquals(got[0], got[1], "every bucket started before the backward returned");
        }
        pool.shutdown();
    }

}
