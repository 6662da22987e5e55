package dev.zoetrope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.sampling.FlowScheduler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate a video from a text prompt with a Linum v2, Wan 2.1 or zoetrope model directory.",
                "The family is detected from the directory and its defaults apply to every flag not given."})
final class GenerateCommand implements Callable<Integer> {
    static final String DEFAULT_MODEL = "models/zoetrope-tiny";

    @Parameters(arity = "0..1", paramLabel = "PROMPT", description = "The prompt (or use --prompt).")
    String positionalPrompt;

    @Option(names = {"-p", "--prompt"}, description = "What the video should show.")
    String prompt;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "Checkpoint directory (default: " + DEFAULT_MODEL + " under the zoetrope home).")
    Path modelDir;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE.mp4", description = "Output video (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("output.mp4");

    @Option(names = "--resolution", description = "360p or 720p for Linum, 480p or 720p for Wan (default: the checkpoint's).")
    String resolution;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Clip length: 2 to 5 s for Linum (default: the family's).")
    Double duration;

    @Option(names = "--seed", description = "Noise seed (default: the model's).")
    Long seed;

    @Option(names = {"--cfg", "--guidance-scale"}, paramLabel = "SCALE", description = "Guidance scale: APG for Linum (7-10) and zoetrope models (4), CFG for Wan (5).")
    Double cfg;

    @Option(names = "--num-steps", paramLabel = "N", description = "Sampling steps (default: the model's; 50 for Linum and Wan, 30 for zoetrope-tiny).")
    Integer steps;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "What to steer away from (default: \"\").")
    String negativePrompt;

    @Option(names = "--frames-png", paramLabel = "DIR", description = "Also write every frame as a PNG into DIR.")
    Path framesPng;

    @Option(names = "--gif", description = "Also write an animated GIF beside the mp4 (same name, .gif).")
    boolean gif;

    @Option(names = "--sampler", paramLabel = "euler|unipc", description = "ODE solver (default: Euler for Linum, UniPC for Wan).")
    String sampler;

    @Option(names = "--shift", description = "Schedule shift (default: the model's: 3 for Linum, 5 for Wan, "
            + "the trained one for zoetrope models).")
    Double shift;

    @Option(names = "--separate-guidance", description = "Run the cond and null predictions as two forwards instead of one "
            + "batch of two (same result, less memory).")
    boolean separateGuidance;

    @Override
    public Integer call() {
        String text = prompt != null ? prompt : positionalPrompt;
        if (prompt != null && positionalPrompt != null)
            throw new InvalidRequestException("give the prompt either as an argument or with --prompt, not both");
        if (text == null || text.isBlank()) throw new InvalidRequestException("no prompt: zoetrope generate \"a red fox in the snow\"");
        if (!output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".mp4"))
            throw new InvalidRequestException("--output must end in .mp4, got " + output);
        if (shift != null && !(shift > 0)) throw new InvalidRequestException("--shift must be positive, got " + shift);
        Path dir = modelDirectory();
        ModelDirectory model = ModelDirectory.detect(dir);
        FlowScheduler.Kind solver = sampler == null ? null : FlowScheduler.Kind.parse(sampler);
        Path gifPath = gif ? withExtension(output, ".gif") : null;
        GenerationRequest request = new GenerationRequest(text, negativePrompt, resolution, duration, seed, cfg, steps);
        TextToVideo.Options options = new TextToVideo.Options(!separateGuidance, false, solver, shift == null ? Double.NaN : shift);

        Engine.init();
        System.err.println("model: " + dir + " (" + model.family().displayName() + ", " + model.layout().description() + ")");
        ProgressListener progress = new ProgressListener(System.err);
        long t0 = System.nanoTime();
        GenerationResult result;
        // Ctrl-C asks the generation to stop at the next step or frame, so its partial files are removed.
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread interrupt = new Thread(() -> {
            progress.cancel();
            try {
                done.await(120, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(interrupt);
        try (TextToVideo generator = ModelLoader.open(model, options, ModelLoader.outputs(framesPng, gifPath))) {
            result = generator.generate(request, output, progress);
        } finally {
            progress.close();
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(interrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook is already running
            }
        }
        System.out.printf(Locale.ROOT, "wrote %s: %dx%d, %d frames at %d fps (%.2f s), seed %d, %d steps, guidance %.3g, in %s%n",
                result.video(), result.width(), result.height(), result.frames(), result.fps(), result.seconds(),
                result.resolved().seed(), result.resolved().steps(), result.resolved().guidanceScale(),
                dev.zoetrope.core.progress.ProgressBar.clock((System.nanoTime() - t0) / 1e9));
        if (framesPng != null) System.out.println("frames: " + framesPng);
        if (gifPath != null) System.out.println("gif: " + gifPath);
        return 0;
    }

    /** --model-dir, or the project's own model, with a clear message while it does not exist. */
    private Path modelDirectory() {
        if (modelDir != null) {
            if (!Files.isDirectory(modelDir)) throw new InvalidRequestException("--model-dir " + modelDir + ": no such directory");
            return modelDir;
        }
        String home = System.getProperty("zoetrope.home");
        Path fallback = (home == null ? Path.of(".") : Path.of(home)).resolve(DEFAULT_MODEL);
        if (!Files.isDirectory(fallback))
            throw new InvalidRequestException("no --model-dir given, and the default model " + DEFAULT_MODEL + " does not exist "
                    + "yet (it is made by training zoetrope's own model). Pass --model-dir DIR with a Linum v2 or Wan 2.1 checkpoint.");
        return fallback;
    }

    private static Path withExtension(Path p, String ext) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return p.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ext);
    }
}
