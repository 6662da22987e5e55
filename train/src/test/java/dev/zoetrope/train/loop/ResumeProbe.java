package dev.zoetrope.train.loop;

import java.nio.file.Path;

/** Child-process entry for the kill -9 resume test: trains the toy task in a run directory. */
public final class ResumeProbe {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int steps = Integer.parseInt(args[1]);
        long delayMs = Long.parseLong(args[2]);
        ToyRegression task = new ToyRegression(7);
        // each step slow, to give the test time to kill us mid-run
        TrainingTask slow = task.pausing(step -> java.time.Duration.ofMillis(delayMs));
        new Trainer(slow, TrainerTest.config(steps), dir, "probe").run(true);
    }
}
