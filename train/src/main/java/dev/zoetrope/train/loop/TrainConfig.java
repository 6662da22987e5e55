package dev.zoetrope.train.loop;

/**
 * Optimisation settings shared by every trainer. JSON-loadable (snake_case).
 *
 * @param steps            optimizer steps in total
 * @param batchSize        samples per micro-batch
 * @param gradAccumulation micro-batches per optimizer step
 * @param warmupSteps      linear warm-up from 0 to {@code lr}
 * @param minLrRatio       the cosine decays to {@code lr·minLrRatio}
 * @param clipNorm         global gradient-norm clip; 0 disables
 * @param emaDecay         EMA of the weights; 0 disables
 * @param checkpointEvery  steps between checkpoints
 * @param logEvery         steps between metric lines
 * @param sampleEvery      steps between sample strips; 0 disables
 * @param keepCheckpoints  how many checkpoints to keep on disk
 */
public record TrainConfig(int steps, int batchSize, int gradAccumulation, double lr, int warmupSteps, double minLrRatio,
                          double weightDecay, double beta1, double beta2, double eps, double clipNorm, double emaDecay,
                          long seed, int checkpointEvery, int logEvery, int sampleEvery, int keepCheckpoints) {
    public TrainConfig {
        if (steps < 1) throw new IllegalArgumentException("steps must be ≥ 1, got " + steps);
        if (batchSize < 1) throw new IllegalArgumentException("batch_size must be ≥ 1, got " + batchSize);
        if (gradAccumulation < 1) throw new IllegalArgumentException("grad_accumulation must be ≥ 1, got " + gradAccumulation);
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0, got " + lr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup_steps must be ≥ 0");
        if (minLrRatio < 0 || minLrRatio > 1) throw new IllegalArgumentException("min_lr_ratio must be in [0, 1]");
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw new IllegalArgumentException("betas must be in [0, 1)");
        if (clipNorm < 0) throw new IllegalArgumentException("clip_norm must be ≥ 0");
        if (emaDecay < 0 || emaDecay >= 1) throw new IllegalArgumentException("ema_decay must be in [0, 1)");
        if (checkpointEvery < 1) throw new IllegalArgumentException("checkpoint_every must be ≥ 1");
        if (logEvery < 1) throw new IllegalArgumentException("log_every must be ≥ 1");
        if (sampleEvery < 0) throw new IllegalArgumentException("sample_every must be ≥ 0");
        if (keepCheckpoints < 1) throw new IllegalArgumentException("keep_checkpoints must be ≥ 1");
    }

    /** Sensible defaults for small models; override per recipe. */
    public static TrainConfig defaults(int steps, int batchSize, double lr) {
        return new TrainConfig(steps, batchSize, 1, lr, Math.min(200, steps / 10), 0.1, 0.01, 0.9, 0.999, 1e-8, 1.0, 0.999,
                0, Math.max(1, Math.min(500, steps)), 10, 0, 3);
    }

    /** Learning rate at {@code step} (0-based): linear warm-up, then cosine to {@code lr·minLrRatio}. */
    public double lrAt(int step) {
        if (warmupSteps > 0 && step < warmupSteps) return lr * (step + 1) / warmupSteps;
        int decay = Math.max(1, steps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decay);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return lr * (minLrRatio + (1 - minLrRatio) * cosine);
    }
}
