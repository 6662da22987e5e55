package dev.zoetrope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Devices;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.nn.Attention;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.GenerationResult;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.MemoryPlan;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.Offload;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.VaeDecoder;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.models.sampling.FlowScheduler;
import dev.zoetrope.models.sampling.StepCache;
import dev.zoetrope.video.ClipFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate a video from a text prompt with a Linum v2, Wan 2.1 or zoetrope model directory, or a "
                + "Hugging Face repo id already in the local hub cache.",
                "The family is detected from the directory and its defaults apply to every flag not given."},
        footer = {"", "Upstream spellings are accepted too; docs/models.md lists them:",
                "  Linum generate_video.py: --num_steps --negative_prompt --apg_rescale",
                "    --model-path FILE (the DiT) --vae-path --t5-encoder-path --t5-tokenizer-path",
                "  Wan generate.py: --task t2v-1.3B --ckpt_dir --size W*H --frame_num N",
                "    --sample_steps --sample_shift --sample_guide_scale --sample_solver",
                "    --base_seed --save_file"})
final class GenerateCommand implements Callable<Integer> {
    static final String DEFAULT_MODEL = "models/zoetrope-tiny";

    @Parameters(arity = "0..1", paramLabel = "PROMPT", description = "The prompt (or use --prompt).")
    String positionalPrompt;

    @Option(names = {"-p", "--prompt"}, description = "What the video should show.")
    String prompt;

    @Option(names = "--model-dir", paramLabel = "DIR|ORG/NAME",
            description = "Checkpoint directory, or a Hugging Face repo id in the local hub cache (never downloaded) "
                    + "(default: " + DEFAULT_MODEL + " under the zoetrope home).")
    String modelDir;

    @Option(names = "--revision", paramLabel = "REV", description = "With a repo id: the branch, tag or commit hash to use (default: main).")
    String revision;

    @Option(names = "--dtype", paramLabel = "auto|bf16|f32", description = "Cast the DiT and text encoder to this dtype "
            + "as they load (default: auto: as stored on the CPU, bf16 on a GPU). The VAE decodes in f32, or in bf16 with --dtype bf16 "
            + "(about twice as fast on a CPU with bf16 dot products, 56-59 dB from a float64 decode).")
    String dtype = "auto";

    @Option(names = {"-o", "--output"}, paramLabel = "FILE.mp4|FILE.webm", description = "Output video: H.264 mp4, or VP9 "
            + "webm (default: output.mp4).")
    Path output;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Make one clip per line of FILE, loading the model once: "
            + "a prompt, or a JSON object with that clip's prompt, negative_prompt, seed, steps, guidance, seconds, resolution "
            + "and output; the other flags are every line's defaults. Blank lines and # comments are skipped; clips already "
            + "made with the same settings are skipped, so a stopped batch resumes.")
    Path prompts;

    @Option(names = "--output-dir", paramLabel = "DIR", description = "With --prompts: where the clips go, as "
            + "NNN-first-words-of-the-prompt.mp4 (NNN: the prompt's number in the file) unless a line names its output "
            + "(default: the current directory).")
    Path outputDir;

    @Option(names = "--resolution", description = "360p or 720p for Linum, 480p or 720p for Wan (default: the checkpoint's).")
    String resolution;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Clip length: 2 to 5 s for Linum (default: the family's).")
    Double duration;

    @Option(names = "--seed", description = "Noise seed, 0 or more; -1 draws a random one, printed with the result "
            + "(default: the model's).")
    Long seed;

    @Option(names = {"--cfg", "--guidance-scale"}, paramLabel = "SCALE", description = "Guidance scale: APG for Linum (7-10) and zoetrope models (4), CFG for Wan (5).")
    Double cfg;

    @Option(names = "--num-steps", paramLabel = "N", description = "Sampling steps (default: the model's; 50 for Linum and Wan, 30 for zoetrope-tiny).")
    Integer steps;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "What to steer away from (default: \"\").")
    String negativePrompt;

    @Option(names = "--frames-png", paramLabel = "DIR", description = "Also write every frame as a PNG into DIR "
            + "(with --prompts: into DIR/NAME, NAME the clip's file name without .mp4).")
    Path framesPng;

    @Option(names = "--gif", description = "Also write an animated GIF beside the mp4 (same name, .gif).")
    boolean gif;

    @Option(names = "--sampler", paramLabel = "euler|unipc", description = "ODE solver (default: Euler for Linum, UniPC for Wan).")
    String sampler;

    @Option(names = "--shift", description = "Schedule shift (default: the model's: 3 for Linum, 5 for Wan, "
            + "the trained one for zoetrope models).")
    Double shift;

    @Option(names = "--apg-rescale", paramLabel = "NORM", description = "APG's bound on each frame's guidance difference "
            + "(Linum and zoetrope models; default 20, 0 turns it off).")
    Double apgRescale;

    @Option(names = "--separate-guidance", description = "Run the cond and null predictions as two forwards instead of one "
            + "batch of two (same result, less memory).")
    boolean separateGuidance;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    OffloadOption offload = new OffloadOption();

    @Mixin
    LoraOptions lora = new LoraOptions();

    @Option(names = "--cache", paramLabel = "off|auto|THRESHOLD", description = "Step cache: skip a DiT forward whose input "
            + "barely changed since the last computed one, reusing what its blocks added (TeaCache's idea). auto is "
            + StepCache.AUTO + ", measured to keep the tiny model's adherence; higher skips more (default: ${DEFAULT-VALUE}).")
    String cache = "off";

    @Mixin
    UpstreamFlags upstream = new UpstreamFlags();

    /**
     * What a run does, every flag folded in and checked against the model; nothing is loaded yet, so the device is
     * as given (resolving it loads libtorch).
     */
    record Invocation(ModelDirectory model, WeightDtype dtype, ComputeDevice device, GenerationRequest request,
                      TextToVideo.Options options, Path output) {}

    @Override
    public Integer call() {
        Invocation run = invocation();
        if (prompts != null) return batch(run);
        Path output = run.output();
        Path gifPath = gif ? withExtension(output, ".gif") : null;
        ModelDirectory model = run.model();

        Engine.init();
        ComputeDevice on = run.device().resolve();
        printModel(run);
        ProgressListener progress = new ProgressListener(System.err);
        long t0 = System.nanoTime();
        GenerationResult result;
        Devices.resetPeakMemory(on);
        try (CtrlC stop = new CtrlC(progress);
             TextToVideo generator = ModelLoader.open(model, run.dtype(), on, run.options(),
                     ClipFiles.with(new ClipFiles.Extras(framesPng, gifPath)))) {
            result = generator.generate(run.request(), output, progress);
        } finally {
            progress.close();
        }
        printResult(result, t0);
        if (!Double.isNaN(run.options().cache()))
            System.out.printf(Locale.ROOT, "step cache (threshold %s): %d of %d DiT forwards skipped, %d computed%n",
                    run.options().cache(), result.skippedForwards(), result.ditForwards() + result.skippedForwards(), result.ditForwards());
        Devices.peakMemory(on).ifPresent(peak -> System.out.println(deviceMemory(run, result, peak)));
        if (framesPng != null) System.out.println("frames: " + framesPng);
        if (gifPath != null) System.out.println("gif: " + gifPath);
        return 0;
    }

    private static void printModel(Invocation run) {
        ModelDirectory model = run.model();
        System.err.println("model: " + model.root() + " (" + model.family().displayName() + ", " + model.layout().description()
                + (run.dtype() == WeightDtype.AUTO ? "" : ", cast to " + run.dtype().id())
                + (run.dtype() == WeightDtype.BF16 ? ", VAE decoding in bf16" : "") + ")");
    }

    private static void printResult(GenerationResult result, long t0) {
        System.out.printf(Locale.ROOT, "wrote %s: %dx%d, %d frames at %d fps (%.2f s), seed %d, %d steps, guidance %.3g, in %s%n",
                result.video(), result.width(), result.height(), result.frames(), result.fps(), result.seconds(),
                result.resolved().seed(), result.resolved().steps(), result.resolved().guidanceScale(),
                dev.zoetrope.core.progress.ProgressBar.clock((System.nanoTime() - t0) / 1e9));
    }

    /** While open, Ctrl-C asks the generation to stop at the next step or frame, so its partial files are removed. */
    private static final class CtrlC implements AutoCloseable {
        private final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        private final Thread hook;

        CtrlC(ProgressListener progress) {
            hook = new Thread(() -> {
                progress.cancel();
                try {
                    done.await(120, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
        }

        @Override
        public void close() {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is already running
            }
        }
    }

    /**
     * {@code --prompts}: every line checked first, the clips already made skipped, then the rest made by one generator
     * that keeps the DiT and VAE loaded between clips. The model's parts count their loads, and the log ends with them.
     */
    private int batch(Invocation run) {
        Path dir = outputDir != null ? outputDir : Path.of(".");
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new InvalidRequestException("--output-dir " + dir + " is not a directory");
        ModelDirectory model = run.model();
        List<PromptsFile.Clip> clips = PromptsFile.read(prompts, run.request(), model.capabilities(), model.family(), dir);
        List<PromptsFile.Clip> todo = new ArrayList<>();
        Map<Path, ClipFiles.Extras> extras = new HashMap<>();
        List<String> refused = new ArrayList<>();
        for (PromptsFile.Clip c : clips) {
            try {
                if (PromptsFile.done(c)) continue;
            } catch (InvalidRequestException e) {
                refused.add(e.getMessage());
                continue;
            }
            String stem = withExtension(c.output().getFileName(), "").toString();
            Path png = framesPng == null ? null : framesPng.resolve(stem);
            if (png != null && Files.exists(png)) refused.add("line " + c.line() + ": " + png + " exists; remove it, or choose another --frames-png");
            extras.put(c.output(), new ClipFiles.Extras(png, gif ? withExtension(c.output(), ".gif") : null));
            todo.add(c);
        }
        if (!refused.isEmpty())
            throw new InvalidRequestException("--prompts " + prompts + ": nothing was generated; the outputs of "
                    + (refused.size() == 1 ? "this line are" : "these " + refused.size() + " lines are") + " in the way:\n  "
                    + String.join("\n  ", refused));
        int skipped = clips.size() - todo.size();
        System.err.printf(Locale.ROOT, "%s: %d clip%s%s%n", prompts, clips.size(), clips.size() == 1 ? "" : "s",
                skipped == 0 ? "" : ", " + skipped + " already made (skipped), " + todo.size() + " to make");
        if (todo.isEmpty()) return 0;

        Engine.init();
        ComputeDevice on = run.device().resolve();
        printModel(run);
        TextToVideo.Options o = run.options();
        TextToVideo.Options keep = new TextToVideo.Options(o.batchGuidance(), true, o.solver(), o.shift(), o.apgRescale(), o.offload(),
                o.cache(), o.loras(), o.loraLenient());
        System.err.println(o.offload() == Offload.NONE
                ? "loading the model once for " + todo.size() + " clip" + (todo.size() == 1 ? "" : "s") + ": the DiT and VAE stay loaded between clips (the text encoder "
                        + "loads for each clip's prompts and is freed before the DiT runs)"
                : "with --offload " + o.offload().name().toLowerCase(Locale.ROOT) + " the model's parts are loaded for each clip");
        int[] loads = new int[3];
        TextToVideo.Parts p = ModelLoader.parts(model, run.dtype(), on, o.offload(), o.loras(), o.loraLenient());
        TextToVideo.Parts counted = new TextToVideo.Parts(p.family(), p.capabilities(), p.shift(),
                () -> { loads[0]++; return p.text().get(); },
                () -> { loads[1]++; return p.dit().get(); },
                () -> { loads[2]++; return p.vae().get(); }, p.latentScale(), p.model());
        ProgressListener progress = new ProgressListener(System.err);
        long t0 = System.nanoTime();
        try (CtrlC stop = new CtrlC(progress);
             TextToVideo generator = new TextToVideo(counted, keep, ClipFiles.with(extras::get))) {
            for (int i = 0; i < todo.size(); i++) {
                PromptsFile.Clip c = todo.get(i);
                System.err.printf(Locale.ROOT, "[%d/%d] line %d: %s%n", i + 1, todo.size(), c.line(), c.resolved().prompt());
                long t = System.nanoTime();
                GenerationResult result = generator.generate(c.resolved(), c.output(), progress);
                progress.close();
                printResult(result, t);
            }
        } finally {
            progress.close();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%d clip%s in %s (%.2f s a clip); model loads: DiT %d, VAE %d, text encoder %d%n", todo.size(),
                todo.size() == 1 ? "" : "s",
                dev.zoetrope.core.progress.ProgressBar.clock(seconds), seconds / todo.size(), loads[1], loads[2], loads[0]);
        return 0;
    }

    /** The device's peak next to what {@code zoetrope plan} expects for this run, so a GPU run checks the plan. */
    private static String deviceMemory(Invocation run, GenerationResult result, long peak) {
        ModelDirectory m = run.model();
        MemoryPlan.Shapes shapes = MemoryPlan.Shapes.of(m);
        DType dtype = run.dtype().cast() != null ? run.dtype().cast() : DType.BF16;
        MemoryPlan plan = MemoryPlan.of(new MemoryPlan.Setup(m.family(), shapes.dit(), shapes.text(), m.textLength(), shapes.vae(),
                result.width(), result.height(), result.frames(), dtype, run.options().offload(), run.options().batchGuidance(), true,
                VaeDecoder.DEFAULT_TILING, Attention.Options.DEFAULT_WORKSPACE));
        return String.format(Locale.ROOT, "device memory: peak %s held by tensors; zoetrope plan expects %s (%s)", MemoryPlan.gb(peak),
                MemoryPlan.gb(plan.devicePeak()), plan.stages().stream().map(st -> st.name() + " " + MemoryPlan.gb(st.devicePeak()))
                        .collect(java.util.stream.Collectors.joining(", ")));
    }

    /** The flags, in zoetrope's or an upstream spelling, as one checked request for one model. */
    Invocation invocation() {
        UpstreamFlags up = upstream;
        String text = prompt != null ? prompt : positionalPrompt;
        if (prompt != null && positionalPrompt != null)
            throw new InvalidRequestException("give the prompt either as an argument or with --prompt, not both");
        Path out = either("--output", output, "--save_file", up.saveFile);
        if (prompts != null) {
            if (text != null) throw new InvalidRequestException("give the prompts either in --prompts FILE or as one prompt, not both");
            if (out != null)
                throw new InvalidRequestException("--output names one clip; with --prompts use --output-dir (or an \"output\" per line)");
        } else {
            if (outputDir != null) throw new InvalidRequestException("--output-dir goes with --prompts; for one clip give --output FILE.mp4");
            if (text == null || text.isBlank()) throw new InvalidRequestException("no prompt: zoetrope generate \"a red fox in the snow\"");
            if (out == null) out = Path.of("output.mp4");
            String lower = out.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!lower.endsWith(".mp4") && !lower.endsWith(".webm"))
                throw new InvalidRequestException("--output must end in .mp4 (H.264) or .webm (VP9), got " + out);
            // checked now, not after minutes of generating
            if (Files.isDirectory(out))
                throw new InvalidRequestException("--output " + out + " is a directory; give a file name ending in .mp4 or .webm");
        }
        Double shiftValue = either("--shift", shift, "--sample_shift", up.sampleShift);
        if (shiftValue != null && !(shiftValue > 0)) throw new InvalidRequestException("--shift must be positive, got " + shiftValue);
        String solverName = either("--sampler", sampler, "--sample_solver", up.sampleSolver);
        FlowScheduler.Kind solver = solverName == null ? null : FlowScheduler.Kind.parse(solverName);
        WeightDtype weights = WeightDtype.parse(dtype);
        ComputeDevice where = device.parsed();
        Integer stepCount = either("--num-steps", steps, "--num_steps", either("--num_steps", up.numSteps, "--sample_steps", up.sampleSteps));
        Double scale = either("--cfg", cfg, "--sample_guide_scale", up.sampleGuideScale);
        String negative = either("--negative-prompt", negativePrompt, "--negative_prompt", up.negativePrompt);
        Double rescale = either("--apg-rescale", apgRescale, "--apg_rescale", up.apgRescale);
        // Wan draws a random seed for a negative --base_seed; -1 is ours for that (the seed used is printed)
        Long baseSeed = up.baseSeed;
        if (baseSeed != null && baseSeed < 0) baseSeed = GenerationRequest.RANDOM_SEED;
        if (seed != null && seed < 0 && seed != GenerationRequest.RANDOM_SEED)
            throw new InvalidRequestException("--seed must be 0 or more, or -1 for a random seed; got " + seed);
        Long seedValue = either("--seed", seed, "--base_seed", baseSeed);

        ModelDirectory model = model().withParts(new ModelDirectory.Overrides(up.ditPath, up.vaePath, up.textEncoderPath,
                up.tokenizerPath));
        ModelCapabilities caps = model.capabilities();
        if (up.task != null) checkTask(up.task, model);
        String res = resolution;
        if (up.size != null) res = either("--resolution", res == null ? null : res.strip().toLowerCase(Locale.ROOT),
                "--size", resolutionOf(up.size, caps));
        Double seconds = duration;
        if (up.frameNum != null) seconds = either("--duration", seconds, "--frame_num", model.family().seconds(up.frameNum, caps.fps()));
        GenerationRequest request = new GenerationRequest(text, negative, res, seconds, seedValue, scale, stepCount);
        TextToVideo.Options options = new TextToVideo.Options(!separateGuidance, false, solver,
                shiftValue == null ? Double.NaN : shiftValue, rescale == null ? Double.NaN : rescale, offload.parsed(),
                StepCache.parse(cache), lora.parsed(), lora.lenient);
        return new Invocation(model, weights, where, request, options, out);
    }

    /**
     * The model the flags name: --model-dir (or Wan's --ckpt_dir), a directory or a repo id in the hub cache; else
     * the model directory holding Linum's --model-path; else the project's own model.
     */
    private ModelDirectory model() {
        String dir = either("--model-dir", modelDir, "--ckpt_dir", upstream.ckptDir);
        if (dir != null) return ModelDirectory.resolve(dir, revision);
        if (revision != null) throw new InvalidRequestException("--revision " + revision + " needs a repo id: --model-dir ORG/NAME");
        Path dit = upstream.ditPath;
        if (dit != null) {
            if (!Files.exists(dit)) throw new InvalidRequestException("--model-path " + dit + ": no such file");
            // dit/360p.safetensors sits in a Linum directory, transformer/ in a Diffusers one, Wan's file at the top
            Path parent = dit.toAbsolutePath().normalize().getParent();
            String name = parent.getFileName() == null ? "" : parent.getFileName().toString();
            Path root = name.equals("dit") || name.equals("transformer") ? parent.getParent() : parent;
            try {
                return ModelDirectory.detect(root);
            } catch (InvalidRequestException e) {
                throw new InvalidRequestException("--model-path " + dit + " is not inside a model directory (give --model-dir "
                        + "too): " + e.getMessage(), e);
            }
        }
        return defaultModel("Pass --model-dir DIR with a Linum v2 or Wan 2.1 checkpoint.");
    }

    /** {@link #DEFAULT_MODEL} under the zoetrope home; when it is missing, an error that ends with {@code hint}. */
    static ModelDirectory defaultModel(String hint) {
        String home = System.getProperty("zoetrope.home");
        Path fallback = (home == null ? Path.of(".") : Path.of(home)).resolve(DEFAULT_MODEL);
        if (!Files.isDirectory(fallback))
            throw new InvalidRequestException("no --model-dir given, and the default model " + DEFAULT_MODEL + " does not exist "
                    + "yet (it is made by training zoetrope's own model). " + hint);
        return ModelDirectory.detect(fallback);
    }

    /** Wan's --task names a DiT by its size: the model must be that one. */
    private static void checkTask(String task, ModelDirectory model) {
        int dim = ModelFamily.wanTaskDim(task);
        if (model.family() != ModelFamily.WAN)
            throw new InvalidRequestException("--task " + task + " names a Wan 2.1 model, but " + model.root() + " is "
                    + model.family().displayName());
        int actual = model.ditDim();
        if (actual != dim)
            throw new InvalidRequestException("--task " + task + " names the " + dim + "-wide Wan 2.1 DiT, but the DiT of "
                    + model.root() + " is " + actual + " wide");
    }

    /** Wan's --size W*H as the model's named resolution. */
    private static String resolutionOf(String size, ModelCapabilities caps) {
        String[] wh = size.strip().toLowerCase(Locale.ROOT).split("[*x]");
        try {
            if (wh.length == 2) return caps.resolutionOf(Integer.parseInt(wh[0].strip()), Integer.parseInt(wh[1].strip()));
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new InvalidRequestException("--size must be WIDTH*HEIGHT, e.g. 832*480, not '" + size + "'");
    }

    /** The value given under either spelling of one setting; both, with different values, is refused. */
    private static <T> T either(String name, T value, String upstreamName, T upstreamValue) {
        if (value != null && upstreamValue != null && !value.equals(upstreamValue))
            throw new InvalidRequestException(name + " and " + upstreamName + " set the same thing; give one of them");
        return value != null ? value : upstreamValue;
    }

    private static Path withExtension(Path p, String ext) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return p.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ext);
    }
}
