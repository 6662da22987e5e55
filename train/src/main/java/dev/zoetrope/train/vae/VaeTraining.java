package dev.zoetrope.train.vae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.vae.VaeCheckpoints;
import dev.zoetrope.models.vae.VaeLayout;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.loop.Checkpoints;
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
     * @param klWeight     weight of the KL term against the reconstruction MSE
     * @param maxClips     training clips read into memory
     */
    public record Options(WanVaeConfig model, int windowFrames, double klWeight, int maxClips, int evalClips, TrainConfig train) {}

    public record Result(double psnr, int evalClips, Path export) {}

    private VaeTraining() {}

    public static Result run(Path data, Path heldOut, Path runDir, Options o, boolean resume) throws IOException {
        Files.createDirectories(runDir);
        Json.write(runDir.resolve("vae_model.json"), o.model());
        Params params = VaeCheckpoints.random(o.model(), o.train().seed());
        params.loaded().values().forEach(t -> t.requires_grad_(true));
        try (WanVae vae = WanVae.of(o.model(), params); ClipSet clips = ClipSet.readSynth(data, o.maxClips())) {
            VaeTrainingTask task = new VaeTrainingTask(vae, clips, o.windowFrames(), o.klWeight());
            new Trainer(task, o.train(), runDir, "vae").run(resume);
        }
        params.close();
        Path export = export(runDir, o.model());
        double psnr;
        try (WanVae trained = WanVae.load(export); ClipSet eval = ClipSet.readSynth(heldOut, o.evalClips())) {
            psnr = psnr(trained, eval);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("psnr_db", psnr);
        report.put("eval_clips", Math.min(o.evalClips(), countClips(heldOut, o.evalClips())));
        report.put("held_out_data", heldOut.getFileName().toString());
        Json.write(runDir.resolve("vae_eval.json"), report);
        System.err.printf(Locale.ROOT, "vae: PSNR %.2f dB on %d held-out clips%n", psnr, o.evalClips());
        return new Result(psnr, o.evalClips(), export);
    }

    private static int countClips(Path dir, int limit) {
        try (ClipSet c = ClipSet.readSynth(dir, limit)) {
            return c.size();
        }
    }

    /** Writes the EMA weights of the newest checkpoint as {@code export/vae.safetensors} + {@code config.json}. */
    public static Path export(Path runDir, WanVaeConfig model) throws IOException {
        Path dir = runDir.resolve("export");
        Files.createDirectories(dir);
        try (Checkpoints.Loaded last = new Checkpoints(runDir).latest()
                .orElseThrow(() -> new IllegalStateException(runDir + " holds no VAE checkpoint to export"));
             Params p = Params.empty()) {
            Map<String, Tensor> weights = last.ema().isEmpty() ? last.params() : last.ema();
            weights.forEach((k, t) -> p.put(k, t.detach().clone()));
            VaeCheckpoints.write(dir.resolve("vae.safetensors"), p, model, VaeLayout.ORIGINAL);
        }
        Json.write(dir.resolve("config.json"), model);
        return dir;
    }

    /** Mean PSNR (dB, 8-bit pixels) of the chunked encode → streamed decode round trip. */
    public static double psnr(WanVae vae, ClipSet clips) {
        double sum = 0;
        int n = 0;
        int frames = clips.frames() - (clips.frames() - 1) % vae.config().temporalFactor();
        for (int i = 0; i < clips.size(); i++) {
            try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
                Tensor x = clips.batch(new long[]{i}, 0, frames);
                Tensor y = torch.clamp(vae.decode(vae.encode(x)), new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar(-1.0)),
                        new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar(1.0)));
                double mse = torch.mse_loss(y, x).item_double() * 127.5 * 127.5;
                sum += 10 * Math.log10(255.0 * 255.0 / Math.max(mse, 1e-10));
                n++;
            }
        }
        return sum / n;
    }
}
