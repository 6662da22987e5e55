package dev.zoetrope.train.loop;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.train.dist.OverlappedAllReduce;
import dev.zoetrope.train.dist.ProcessGroup;

/**
 * The optimisation loop shared by the DiT, VAE and text trainers: gradient accumulation, global-norm
 * clipping, AdamW with warm-up + cosine, EMA, periodic atomic checkpoints, JSONL metrics, a loss-curve PNG,
 * sample strips and a progress bar.
 *
 * <p>Every micro-batch draws its randomness from a host generator seeded by (seed, step, micro), and every
 * checkpoint holds parameters, EMA and optimizer state, so {@code resume} after any interruption, even a
 * kill -9, repeats exactly the losses an uninterrupted run would have had. Ctrl-C writes a checkpoint
 * before exiting.
 *
 * <p>The loop runs where the task's parameters live: optimizer moments and EMA weights are made beside them, clipping
 * is decided there, and a step's metrics come back to the host once, together. Checkpoints are written from the host,
 * tensor by tensor, and a resume copies them back onto the parameters' device.
 *
 * <p>In a data-parallel run (a {@link ProcessGroup}) every rank runs this loop in lock-step. Rank 0 restores the
 * checkpoint and broadcasts weights, EMA, optimizer state and step to the others, so all start identical. Each
 * micro-batch is drawn whole from its generator, as alone, and each rank computes the loss of its {@link Share}; the
 * gradients are averaged over the ranks (bucketed all-reduce, started during the backward by {@link OverlappedAllReduce}
 * unless the group says otherwise) before the clip, and so are the losses and a stop flag, so every rank clips, steps and
 * moves its EMA on the same numbers and stops at the same step.
 * Rank 0 alone writes checkpoints, metrics, plots and sample strips.
 */
public final class Trainer {
    /** How a run ended. */
    public record Outcome(int startStep, int endStep, boolean interrupted, double lastLoss, double samplesPerSecond) {}

    private final TrainingTask task;
    private final TrainConfig cfg;
    private final Path runDir;
    private final String label;
    private final ProcessGroup group;
    /** In a group: the gradients' all-reduce, started bucket by bucket during the last micro-batch's backward. */
    private OverlappedAllReduce overlap;
    private volatile boolean stopRequested;

    /** A trainer in this process's data-parallel run when there is one ({@link ProcessGroup#current()}), else alone. */
    public Trainer(TrainingTask task, TrainConfig cfg, Path runDir, String label) {
        this(task, cfg, runDir, label, ProcessGroup.current().orElse(null));
    }

    /** A trainer that computes its share of each batch in {@code group}; alone when it is null. */
    public Trainer(TrainingTask task, TrainConfig cfg, Path runDir, String label, ProcessGroup group) {
        this.task = task;
        this.cfg = cfg;
        this.runDir = runDir;
        this.label = label;
        this.group = group;
        if (group != null) group.topology().perRankBatch(cfg.batchSize());
    }

    /** This process writes the run's files: it trains alone or is rank 0. */
    private boolean writes() {
        return group == null || group.writes();
    }

    /** Asks the loop to stop after the current step, writing a checkpoint first. */
    public void requestStop() {
        stopRequested = true;
    }

    /** The loops running in this JVM: what {@link #stopAll} stops. */
    private static final Set<Trainer> RUNNING = ConcurrentHashMap.newKeySet();

    /**
     * Asks every training loop running in this JVM to stop after its current step, writing a checkpoint first: what
     * Ctrl-C does, for an application that embeds training and wants it to end while it goes on. Each run then returns an
     * {@link Outcome#interrupted() interrupted} outcome, and a recipe runs no later stage.
     */
    public static void stopAll() {
        for (Trainer t : RUNNING) t.requestStop();
    }

    /** Runs to {@code cfg.steps()}; with {@code resume}, continues from the newest checkpoint in the run dir. */
    public Outcome run(boolean resume) throws IOException {
        return run(resume, cfg.steps());
    }

    /**
     * Runs until step {@code until} (at most {@code cfg.steps()}) and checkpoints there, keeping the
     * learning-rate schedule of the whole run: long trainings can be done in several sittings.
     */
    public Outcome run(boolean resume, int until) throws IOException {
        if (until < 1 || until > cfg.steps())
            throw new InvalidRequestException("--until must be within 1.." + cfg.steps() + ", not " + until);
        Checkpoints ckpts = new Checkpoints(runDir);
        if (writes()) {
            Files.createDirectories(runDir);
            if (!resume && !ckpts.list().isEmpty())
                throw new InvalidRequestException(runDir + " already holds checkpoints: resume it (run with resume = true), or choose a new run directory");
            Json.write(runDir.resolve("train_config.json"), cfg);
        }
        Map<String, Tensor> params = task.parameters();
        for (var e : params.entrySet())
            if (!e.getValue().requires_grad()) throw new IllegalStateException("parameter '" + e.getKey() + "' does not require grad");
        List<Tensor> paramList = new ArrayList<>(params.values());
        int start = 0;
        try (AdamW opt = new AdamW(params, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay());
             Ema ema = cfg.emaDecay() > 0 ? new Ema(params, cfg.emaDecay()) : null) {
            if (resume && writes()) {
                Optional<Checkpoints.Loaded> latest = ckpts.latest();
                if (latest.isPresent()) {
                    try (Checkpoints.Loaded l = latest.get()) {
                        start = restore(l, params, opt, ema);
                    }
                    System.err.printf(Locale.ROOT, "%s: resuming at step %d%n", label, start);
                }
            }
            if (group != null) start = synchronize(start, params, opt, ema);
            if (start >= until) return new Outcome(start, start, false, Double.NaN, 0);
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                stopRequested = true;
                try {
                    finished.await();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            RUNNING.add(this);
            try (OverlappedAllReduce sync = group != null && group.overlaps()
                         ? new OverlappedAllReduce(group, paramList, group.bucketElements()) : null;
                 MetricsLog metrics = writes() ? new MetricsLog(runDir.resolve("metrics.jsonl"), start) : null;
                 ProgressBar bar = writes() ? new ProgressBar(label, cfg.steps(), "step") : ProgressBar.silent(cfg.steps(), null)) {
                bar.stepTo(start);
                overlap = sync;
                return loop(start, until, params, paramList, opt, ema, ckpts, metrics, bar);
            } finally {
                overlap = null;
                RUNNING.remove(this);
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting because of Ctrl-C; the hook is what waits for us
                }
            }
        }
    }

    private Outcome loop(int start, int until, Map<String, Tensor> params, List<Tensor> paramList, AdamW opt, Ema ema, Checkpoints ckpts,
                         MetricsLog metrics, ProgressBar bar) throws IOException {
        long t0 = System.nanoTime();
        double lastLoss = Double.NaN;
        int step = start;
        long samples = 0;
        while (step < until) {
            if (group != null) group.atStep(step);
            double[] read;
            try (PointerScope scope = new PointerScope()) {
                // the step's losses and gradient norm come back together: one wait for the device per step
                read = Tensors.toDoubles(Ops.toHost(backward(step, paramList)));
            }
            double lossSum = 0;
            for (int micro = 0; micro < cfg.gradAccumulation(); micro++) {
                double value = read[micro];
                if (!Double.isFinite(value))
                    throw new InvalidRequestException(label + ": loss is " + value + " at step " + step + "; lower the learning rate or check the data");
                lossSum += value;
            }
            double gradNorm = read[cfg.gradAccumulation()];
            if (!Double.isFinite(gradNorm))
                throw new InvalidRequestException(label + ": gradient norm is " + gradNorm + " at step " + step
                        + "; lower the learning rate or check the data");
            samples += (long) cfg.batchSize() * cfg.gradAccumulation();
            double lr = cfg.lrAt(step);
            update(step, lr, paramList, opt, ema);
            step++;
            lastLoss = lossSum / cfg.gradAccumulation();
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double sps = samples / Math.max(elapsed, 1e-9);
            bar.note(String.format(Locale.ROOT, "loss %.4f  %.1f samples/s", lastLoss, sps));
            bar.stepTo(step);
            if (metrics != null && (step % cfg.logEvery() == 0 || step == cfg.steps())) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", step);
                row.put("loss", lastLoss);
                row.put("lr", lr);
                row.put("grad_norm", gradNorm);
                row.put("samples_per_s", sps);
                row.put("elapsed_s", elapsed);
                metrics.log(row);
            }
            // in a group the ranks stop together: the flag went through the all-reduce
            boolean stopping = group == null ? stopRequested : read[cfg.gradAccumulation() + 1] > 0;
            if (writes() && (step % cfg.checkpointEvery() == 0 || step == until || stopping)) {
                checkpoint(step, params, opt, ema, ckpts);
                plot();
            }
            if (writes() && cfg.sampleEvery() > 0 && (step % cfg.sampleEvery() == 0 || step == cfg.steps())) {
                List<Path> strips = task.sample(step, ema != null ? ema.weights() : params, runDir.resolve("samples"));
                for (int i = 0; i < strips.size(); i++) metrics.image(step, strips.size() == 1 ? "samples" : "samples/" + i, strips.get(i));
            }
            if (stopping) {
                if (writes()) System.err.printf(Locale.ROOT, "%n%s: stopped at step %d; run the same command again to continue%n", label, step);
                return new Outcome(start, step, true, lastLoss, sps);
            }
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        return new Outcome(start, step, false, lastLoss, (step - start) * (double) cfg.batchSize() * cfg.gradAccumulation() / elapsed);
    }

    /**
     * The work of optimizer step {@code step} before the update, on the parameters' device: every micro-batch's forward
     * and backward (gradients accumulate in the parameters; each micro-batch's activations are freed before the next),
     * in a group the average over the ranks, then the clip. Returns the micro-batches' losses and the gradient norm before
     * clipping (in a group: then the stop flag's mean over the ranks), float64 on that device, read back nowhere here.
     */
    Tensor backward(int step, List<Tensor> params) {
        Share share = group == null ? Share.whole(cfg.batchSize()) : Share.of(cfg.batchSize(), group.rank(), group.worldSize());
        return Scopes.keep(() -> {
            TensorVector metrics = new TensorVector();
            for (int micro = 0; micro < cfg.gradAccumulation(); micro++) {
                int m = micro;
                boolean last = micro == cfg.gradAccumulation() - 1;
                metrics.push_back(Scopes.keep(() -> {
                    Generator rng = torch.make_generator_cpu(seedFor(cfg.seed(), step, m));
                    Tensor loss = task.loss(step, m, share, rng);
                    if (last && overlap != null) overlap.arm();
                    loss.div(Ops.scalar(cfg.gradAccumulation())).backward();
                    return loss.detach().to(ScalarType.Double);
                }));
            }
            if (overlap != null) overlap.finish();
            if (group == null) {
                metrics.push_back(Gradients.clip(params, cfg.clipNorm()));
                return torch.stack(metrics);
            }
            Tensor flag = torch.full(new long[]{1}, Ops.scalar(stopRequested ? 1.0 : 0.0), Ops.like(metrics.get(0)));
            Tensor shared = torch.cat(new TensorVector(torch.stack(metrics), flag));
            List<Tensor> reduced = new ArrayList<>();
            if (overlap == null) for (Tensor p : params) if (Gradients.has(p)) reduced.add(p.grad());
            reduced.add(shared);
            group.allReduceMean(reduced);
            Tensor norm = Gradients.clip(params, cfg.clipNorm()).reshape(1);
            return torch.cat(new TensorVector(shared.narrow(0, 0, cfg.gradAccumulation()), norm, shared.narrow(0, cfg.gradAccumulation(), 1)));
        });
    }

    /**
     * Makes every rank start as rank 0: its step and optimizer step count, weights, EMA and optimizer moments (restored
     * from its checkpoint, or drawn from the seed) are broadcast. Returns the step.
     */
    private int synchronize(int start, Map<String, Tensor> params, AdamW opt, Ema ema) {
        try (PointerScope scope = new PointerScope()) {
            Tensor steps = Ops.toDeviceOf(Tensors.fromLongs(new long[]{start, opt.stepCount()}, 2), params.values().iterator().next());
            List<Tensor> state = new ArrayList<>();
            state.add(steps);
            state.addAll(params.values());
            if (ema != null) state.addAll(ema.weights().values());
            state.addAll(opt.state().values());
            group.broadcast(state);
            long[] got = Tensors.toLongs(Ops.toHost(steps));
            if (!group.writes()) opt.load(opt.state(), got[1]);
            return (int) got[0];
        }
    }

    /** The update after {@link #backward}: AdamW at {@code lr}, the gradients zeroed, the EMA moved. */
    static void update(int step, double lr, List<Tensor> params, AdamW opt, Ema ema) {
        opt.step(lr);
        Gradients.zero(params);
        if (ema != null) ema.update(step);
    }

    private void checkpoint(int step, Map<String, Tensor> params, AdamW opt, Ema ema, Checkpoints ckpts) throws IOException {
        Map<String, String> meta = new HashMap<>(task.metadata());
        meta.put("optimizer_step", Long.toString(opt.stepCount()));
        meta.put("train_config", Json.PLAIN.writeValueAsString(cfg));
        ckpts.save(step, params, ema != null ? ema.weights() : null, opt.state(), meta, cfg.keepCheckpoints());
    }

    /** Redraws {@code loss.png} from the metrics log. */
    public void plot() throws IOException {
        List<JsonNode> rows = MetricsLog.read(runDir.resolve("metrics.jsonl"));
        double[] x = new double[rows.size()], y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i).path("step").asDouble();
            y[i] = rows.get(i).path("loss").asDouble();
        }
        new CurvePlot(label + " loss", "step", true).add("loss", x, y, new Color(40, 90, 200)).write(runDir.resolve("loss.png"));
    }

    /**
     * Copies a checkpoint, read on the host, into the parameters, EMA weights and optimizer state wherever they live;
     * returns its step.
     */
    static int restore(Checkpoints.Loaded l, Map<String, Tensor> params, AdamW opt, Ema ema) {
        restore(params, l.params());
        if (ema != null) ema.load(l.ema());
        opt.load(l.optimizer(), Long.parseLong(l.metadata().getOrDefault("optimizer_step", Integer.toString(l.step()))));
        return l.step();
    }

    /** A checkpoint that lacks a parameter is the user's: the run directory was made for another model or recipe. */
    static void restore(Map<String, Tensor> params, Map<String, Tensor> saved) {
        try (NoGradGuard ng = new NoGradGuard()) {
            for (var e : params.entrySet()) {
                Tensor t = saved.get(e.getKey());
                if (t == null) throw new InvalidRequestException("checkpoint lacks parameter '" + e.getKey() + "'");
                e.getValue().copy_(t);
            }
        }
    }

    /** A 64-bit seed per (run seed, step, micro-batch): SplitMix64 finalisation of their mix. */
    static long seedFor(long seed, int step, int micro) {
        long z = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro * 0x94D049BB133111EBL + 0x2545F4914F6CDD1DL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }
}
