package dev.zoetrope.train.loop;

import java.nio.file.Path;

/** Child-process entry for the kill -9 resume test: trains the toy task in a run directory. */
public final class ResumeProbe {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int steps = Integer.parseInt(args[1]);
        long delayMs = Long.parseLong(args[2]);
        ToyRegression task = new ToyRegression(7);
        TrainingTask slow = new TrainingTask() {
            @Override
            public java.util.Map<String, org.bytedeco.pytorch.Tensor> parameters() {
                return task.parameters();
            }

            @Override
            public org.bytedeco.pytorch.Tensor loss(int step, int micro, Share share, org.bytedeco.pytorch.Generator rng) {
                try {
                    Thread.sleep(delayMs); // gives the test time to kill us mid-run
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return task.loss(step, micro, share, rng);
            }
        };
        new Trainer(slow, TrainerTest.config(steps), dir, "probe").run(true);
    }
}
