package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.train.synth.SynthWorld;
import dev.zoetrope.train.vae.VaeEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "vae", mixinStandardHelpOptions = true,
        description = {"How well a model's VAE keeps what prompts are about: round trips (chunked encode, streamed decode, "
                + "as generation runs) of held-out synthetic clips, read by the adherence detector. Reports PSNR, colour, shape "
                + "and direction kept, and per shape and background the shapes kept and the corner ratio before and after.",
                "Renders the clips into OUT/synth unless --synth names a directory of them (zoetrope synth --split heldout). "
                        + "Writes OUT/vae_eval.json and OUT/reconstructions.png (originals above their round trips)."})
final class EvalVaeCommand implements Callable<Integer> {
    @Option(names = "--model-dir", paramLabel = "DIR|ORG/NAME", description = "Model directory, or a Hugging Face repo id "
            + "in the local hub cache (default: " + GenerateCommand.DEFAULT_MODEL + " under the zoetrope home).")
    String modelDir;

    @Option(names = "--vae", paramLabel = "PATH", description = "A VAE on its own instead of a model's: its weights file, or "
            + "the export directory of a training's VAE stage (WORK/vae/export).")
    Path vae;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--synth", paramLabel = "DIR", description = "Synthetic clips to round-trip (default: render --clips held-out "
            + "clips, 64x64, 17 frames, seed --seed, into OUT/synth).")
    Path synth;

    @Option(names = "--clips", description = "Clips evaluated, the first of the directory (default: ${DEFAULT-VALUE}).")
    int clips = 120;

    @Option(names = "--seed", description = "Seed of the rendered clips (default: ${DEFAULT-VALUE}, the tiny recipes' held-out set).")
    long seed = 1;

    @Override
    public Integer call() throws IOException {
        if (clips < 1) throw new InvalidRequestException("--clips must be at least 1, got " + clips);
        if (vae != null && modelDir != null) throw new InvalidRequestException("--vae and --model-dir both name a VAE; give one");
        if (vae != null && !Files.exists(vae)) throw new InvalidRequestException("--vae " + vae + ": no such file or directory");
        ModelDirectory model = vae != null ? null
                : modelDir != null ? ModelDirectory.resolve(modelDir, null) : GenerateCommand.defaultModel("Give --model-dir DIR or --vae PATH.");
        Files.createDirectories(out);
        Path data = synth;
        if (data == null) {
            data = out.resolve("synth");
            SynthWorld.Settings d = SynthWorld.Settings.defaults();
            SynthWorld.generate(data, clips, seed, new SynthWorld.Settings(d.width(), d.height(), d.frames(), d.fps(),
                    SynthWorld.Split.HELDOUT), Math.max(1, Runtime.getRuntime().availableProcessors()), System.err);
        } else if (!Files.isDirectory(data)) {
            throw new InvalidRequestException("--synth " + data + " is not a directory of synthetic clips");
        }
        VaeEvaluation eval;
        try (WanVae loaded = model == null ? WanVae.load(vae)
                : WanVae.load(model.vaeWeights(), model.vaeSettings(), String.valueOf(model.vaeConfig()))) {
            eval = VaeEvaluation.run(loaded, data, clips, out.resolve("reconstructions.png"));
        }
        Map<String, Object> report = new LinkedHashMap<>(eval.toJson());
        report.put("vae", (model == null ? vae : model.root()).toAbsolutePath().normalize().toString());
        Json.write(out.resolve("vae_eval.json"), report);
        System.out.print(eval.table());
        System.out.println("wrote " + out.resolve("vae_eval.json") + ", " + out.resolve("reconstructions.png"));
        return 0;
    }
}
