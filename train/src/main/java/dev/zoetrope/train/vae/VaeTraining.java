package dev.zoetrope.train.vae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.vae.VaeCheckpoints;
import dev.zoetrope.models.vae.VaeLayout;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.loop.Checkpoints;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.loop.Trainer;

/**
 * {@code zoetrope train vae}: trains a Wan-architecture VAE from scratch on a synthetic-world directory,
 * measures PSNR on held-out clips with the same chunked encode/decode that generation uses, and exports
 * {@code vae.safetensors} (original Wan keys) plus {@code config.json}.
 */
public final class VaeTraining {
    /**
     * @param windowFrames frames per training window (1 + 4k)
     * @param finalWindowFrames frames per window over the last {@code finalWindowSteps} steps (1 + 4k)
     * @param finalWindowSteps  steps trained on the final, longer windows; 0 keeps {@code windowFrames} throughout
     * @param klWeight     weight of the KL term against the reconstruction term
     * @param salientWeight weight of salient pixels in the reconstruction term (1: unweighted; see {@link VaeTrainingTask})
     * @param edgeWeight   weight of the image-gradient term (0: none; see {@link VaeTrainingTask})
     * @param reconstruction how a pixel's error counts in the reconstruction term
     * @param maxClips     training clips read into memory
     */
    public record Options(WanVaeConfig model, int windowFrames, int finalWindowFrames, int finalWindowSteps, double klWeight,
                          double salientWeight, double edgeWeight, VaeTrainingTask.Reconstruction reconstruction, int maxClips,
                          int evalClips, TrainConfig train) {
        public Options {
            java.util.Objects.requireNonNull(reconstruction, "reconstruction");
            if (!(edgeWeight >= 0 && Double.isFinite(edgeWeight)))
                throw new IllegalArgumentException("edge_weight must be a finite number >= 0, got " + edgeWeight);
            if (finalWindowSteps < 0 || finalWindowSteps > train.steps())
                throw new IllegalArgumentException("final_window_steps must be in 0.." + train.steps() + ", got " + finalWindowSteps);
        }

        /** One window length throughout. */
        public Options(WanVaeConfig model, int windowFrames, double klWeight, double salientWeight, int maxClips, int evalClips,
                       TrainConfig train) {
            this(model, windowFrames, windowFrames, 0, klWeight, salientWeight, 0, VaeTrainingTask.Reconstruction.L2, maxClips, evalClips,
                    train);
        }

        /** The window length trained at {@code step} (0-based): short windows first, long ones at the end. */
        public int windowAt(int step) {
            return step >= train.steps() - finalWindowSteps ? finalWindowFrames : windowFrames;
        }
    }

    /**
     * How a run ended: the held-out PSNR and the export; {@code interrupted} when the training was stopped (Ctrl-C),
     * then with nothing exported or evaluated (PSNR NaN) and the checkpoint to continue from.
     */
    public record Result(double psnr, int evalClips, Path export, boolean interrupted) {}

    private VaeTraining() {}

    /** Trains and evaluates on the CPU. */
    public static Result run(Path data, Path heldOut, Path runDir, Options o, boolean resume) throws IOException {
        return run(data, heldOut, runDir, o, resume, ComputeDevice.CPU);
    }

    /**
     * Trains and evaluates on {@code device} (resolved): the VAE is drawn on the host from its seed and placed there
     * tensor by tensor, the clips stay on the host and each batch is moved.
     */
    public static Result run(Path data, Path heldOut, Path runDir, Options o, boolean resume, ComputeDevice device) throws IOException {
        boolean writes = ProcessGroup.writesFiles();
        if (writes) {
            Files.createDirectories(runDir);
            Json.write(runDir.resolve("vae_model.json"), o.model());
        }
        Trainer.Outcome outcome;
        try (WanVae vae = WanVae.trainable(o.model(), o.train().seed(), device.target());
             ClipSet clips = ClipSet.readSynth(data, o.maxClips())) {
            startWithSmallVariance(vae.params(), o.model().zDim());
            VaeTrainingTask task = new VaeTrainingTask(vae, clips, o::windowAt, List.of(o.windowFrames(), o.finalWindowFrames()), o.klWeight(), o.salientWeight(), o.edgeWeight(), o.reconstruction());
            outcome = new Trainer(task, o.train(), runDir, "vae").run(resume);
        }
        // a stopped run exports nothing (the JVM may be exiting); in a data-parallel run rank 0 exports and evaluates
        if (outcome.interrupted() || !writes) return new Result(Double.NaN, 0, runDir.resolve("export"), outcome.interrupted());
        Path export = export(runDir, o.model());
        VaeEvaluation eval;
        try (WanVae trained = WanVae.load(export, device.target())) {
            eval = VaeEvaluation.run(trained, heldOut, o.evalClips(), runDir.resolve("reconstructions.png"));
        }
        Map<String, Object> report = new LinkedHashMap<>(eval.toJson());
        report.put("held_out_data", heldOut.getFileName().toString());
        Json.write(runDir.resolve("vae_eval.json"), report);
        System.err.printf(Locale.ROOT, "vae: PSNR %.2f dB on %d held-out clips; the detector reads colour %.0f%%, shape %.0f%%, "
                + "direction %.0f%% of the reconstructions correctly%n", eval.psnr(), eval.clips(), 100 * eval.color(),
                100 * eval.shape(), 100 * eval.direction());
        return new Result(eval.psnr(), eval.clips(), export, false);
    }

    /**
     * The posterior's log-variance starts at {@value #INITIAL_LOG_VARIANCE} instead of 0: with σ = 1 the
     * sampled latent is mostly noise, and a small VAE with a short budget then learns only a blurred, colourless
     * average before the KL term's slow pull lets the mean speak.
     */
    static final double INITIAL_LOG_VARIANCE = -6.0;

    private static void startWithSmallVariance(Params params, int zDim) {
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            params.tensor("conv1.bias").narrow(0, zDim, zDim).fill_(Ops.scalar(INITIAL_LOG_VARIANCE));
        }
    }

    /** Writes the EMA weights of the newest checkpoint as {@code export/vae.safetensors} + {@code config.json}. */
    public static Path export(Path runDir, WanVaeConfig model) throws IOException {
        Path dir = runDir.resolve("export");
        Files.createDirectories(dir);
        try (Checkpoints.Loaded last = new Checkpoints(runDir).latest()
                .orElseThrow(() -> new InvalidRequestException(runDir + " holds no VAE checkpoint to export"));
             Params p = Params.empty()) {
            Map<String, Tensor> weights = last.ema().isEmpty() ? last.params() : last.ema();
            weights.forEach((k, t) -> p.put(k, t.detach().clone()));
            VaeCheckpoints.write(dir.resolve("vae.safetensors"), p, model, VaeLayout.ORIGINAL);
        }
        Json.write(dir.resolve("config.json"), model);
        return dir;
    }
}
