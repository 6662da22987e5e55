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
        // stuck: a read that never returns, a loop that never ends
        TrainingTask stuck = task.pausing(step -> rank == 1 && step == stuckAt ? Duration.ofMinutes(10) : Duration.ZERO);
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
