package dev.zoetrope.train.loop;

import java.nio.file.Path;
import java.time.Duration;

import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.dist.Topology;

/**
 * One rank of a 2-rank toy run in its own process, as the CLI runs a rank: a failure is printed, told to the group and
 * ends the process with status 1. Rank 1 gets stuck at step {@code stuckAt} (its training thread sleeps, its heartbeat
 * goes on), so rank 0 waits in the all-reduce until the timeout.
 * Arguments: rank, port, run directory, stuckAt, timeout seconds.
 */
public final class StuckRankProbe {
    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]), port = Integer.parseInt(args[1]), stuckAt = Integer.parseInt(args[3]);
        Path dir = Path.of(args[2]);
        ToyRegression task = new ToyRegression(7);
        TrainingTask stuck = new TrainingTask() {
            @Override
            public java.util.Map<String, org.bytedeco.pytorch.Tensor> parameters() {
                return task.parameters();
            }

            @Override
            public org.bytedeco.pytorch.Tensor loss(int step, int micro, Share share, org.bytedeco.pytorch.Generator rng) {
                if (rank == 1 && step == stuckAt) {
                    try {
                        Thread.sleep(Duration.ofMinutes(10)); // stuck: a read that never returns, a loop that never ends
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return task.loss(step, micro, share, rng);
            }
        };
        ProcessGroup group = ProcessGroup.join(new Topology(rank, 2, rank, "127.0.0.1", port),
                Duration.ofSeconds(Long.parseLong(args[4])), false);
        try {
            new Trainer(stuck, TrainerTest.config(1000), dir, "rank" + rank, group).run(false);
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            group.fail();
            System.exit(1);
        }
        group.close();
    }
}
