package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.ModelLoader;
import dev.zoetrope.models.pipeline.TextToVideo;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.models.sampling.StepCache;
import dev.zoetrope.train.eval.AdherenceEval;
import dev.zoetrope.train.eval.AdherencePlan;
import dev.zoetrope.train.eval.AdherenceReport;
import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.video.ClipFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "adherence", mixinStandardHelpOptions = true,
        description = {"Prompt adherence on the synthetic world: generate k clips for each canonical prompt (all 12 held-out "
                + "combinations on both backgrounds, plus a seeded sample of seen combinations), read colour, shape and "
                + "direction back with the clip detector, and report accuracy for held-out and seen combinations.",
                "First validates the detector on ground-truth renderings of the same prompts (needs >= 98%%; below that it exits 1 "
                        + "before generating).",
                "Writes OUT/adherence.json, OUT/adherence.md, OUT/contact-sheet.png, clips in OUT/clips/ and the "
                        + "ground truth in OUT/ground-truth/. Resumable: run the same command again to continue."})
final class EvalAdherenceCommand implements Callable<Integer> {
    @Option(names = "--model-dir", paramLabel = "DIR|ORG/NAME", description = "Model directory, or a Hugging Face repo id "
            + "in the local hub cache (default: " + GenerateCommand.DEFAULT_MODEL + " under the zoetrope home).")
    String modelDir;

    @Option(names = "--revision", paramLabel = "REV", description = "With a repo id: the branch, tag or commit hash (default: main).")
    String revision;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--k", description = "Clips per prompt (default: ${DEFAULT-VALUE}).")
    int k = AdherencePlan.DEFAULT_K;

    @Option(names = "--seen-sample", description = "Seen (training) combinations sampled, each on both backgrounds "
            + "(default: ${DEFAULT-VALUE}).")
    int seenSample = AdherencePlan.DEFAULT_SEEN_SAMPLE;

    @Option(names = "--seed", description = "Seed for the seen sample and the clips' seeds (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--steps", description = "Denoising steps (default: the model's).")
    Integer steps;

    @Option(names = "--cfg", description = "Guidance scale (default: the model's).")
    Double cfg;

    @Option(names = "--shift", description = "Schedule shift (default: the model's).")
    Double shift;

    @Option(names = "--cache", paramLabel = "off|auto|THRESHOLD", description = "Step cache, as generate's --cache "
            + "(default: ${DEFAULT-VALUE}).")
    String cache = "off";

    @Option(names = "--novel", paramLabel = "color|background|motion", description = "Prompt what the shipped models never "
            + "saw instead, scored with it among the detector's choices; for checking a LoRA that teaches it (--lora). color: all "
            + "12 combinations of the novel colours (pink) on both backgrounds; background: the held-out combinations and the seen "
            + "sample on the novel backgrounds (white), white objects left out; motion: the 12 held-out diagonal combinations "
            + "(e.g. up left) and --seen-sample taught ones on both backgrounds. The combinations the held-out rule keeps out of a "
            + "lesson are reported apart.")
    String novel;

    @Option(names = "--held-out-phrasings", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Prompt the held-out combinations a second time in held-out phrasings: word orders, filler and words "
                    + "no training caption of the free-language grammar has (docs/model-card.md lists them), reported as the "
                    + "'held-out words' row (default: on; --no-held-out-phrasings for the canonical template only; not with --novel).")
    boolean heldOutPhrasings = true;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Score prompts you wrote instead: one per line, "
            + "'SCENE | PROMPT', SCENE in the synthetic world's template ('a red square moving up on a gray background'), PROMPT any "
            + "wording of it; blank and # lines skipped. Reported as the 'written' row, with a contact sheet; not with --novel.")
    Path prompts;

    @Mixin
    LoraOptions lora = new LoraOptions();

    @Option(names = "--ground-truth", description = "Only validate the detector: score it on ground-truth renderings "
            + "of the prompts; exit 1 if it scores below 98%%.")
    boolean groundTruth;

    /** Largest prompts file read: a few thousand lines. */
    static final long MAX_PROMPTS_BYTES = 1 << 20;

    /** The lines of {@code file}, parsed; any problem is the user's to fix, named with the file and line. */
    static List<dev.zoetrope.train.eval.AdherencePrompt> writtenPrompts(Path file) {
        List<String> lines = PromptsFile.lines(file, MAX_PROMPTS_BYTES);
        try {
            return AdherencePlan.parseWritten(lines, file.toString());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("--prompts " + e.getMessage());
        }
    }

    private static SynthSpec.Novelty novelty(String text) {
        try {
            return SynthSpec.Novelty.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("--novel: " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws IOException {
        if (k < 1) throw new InvalidRequestException("--k must be at least 1, got " + k);
        int seenMax = SynthSpec.seenCombinations().size();
        if (seenSample < 0 || seenSample > seenMax)
            throw new InvalidRequestException("--seen-sample must be within 0.." + seenMax + ", got " + seenSample);
        if (steps != null && steps < 1) throw new InvalidRequestException("--steps must be at least 1, got " + steps);
        if (cfg != null && !(cfg >= 0 && Double.isFinite(cfg)))
            throw new InvalidRequestException("--cfg must be a finite number >= 0, got " + cfg);
        if (shift != null && !(shift > 0 && Double.isFinite(shift)))
            throw new InvalidRequestException("--shift must be a positive number, got " + shift);
        double cacheThreshold = StepCache.parse(cache);
        // A model that is missing or not a model fails here, before any clip is rendered.
        ModelDirectory model = groundTruth ? null : model();

        if (prompts != null && novel != null) throw new InvalidRequestException("--prompts and --novel are two kinds of run; give one");
        AdherencePlan plan = prompts != null ? AdherencePlan.written(writtenPrompts(prompts), k, seed)
                : novel == null ? AdherencePlan.of(k, seenSample, seed, heldOutPhrasings)
                : AdherencePlan.novel(novelty(novel), k, seenSample, seed);
        List<Lora> adapters = lora.parsed();
        AdherenceEval.DetectorValidation validation = AdherenceEval.validateDetector(out.resolve("ground-truth"), plan, System.err);
        System.out.println(validation.line());
        AdherenceEval.Run run;
        if (groundTruth) {
            run = validation.run();
        } else {
            // Our detector failing our ground truth is neither the user's input nor worth a stack trace: exit 1, as
            // --ground-truth does, with the reason.
            if (!validation.passed()) {
                System.err.println("the detector scores below 98% on ground truth, so model scores would not be trustworthy; "
                        + "see " + out.resolve("ground-truth"));
                return 1;
            }
            // DiT and VAE stay loaded across the clips.
            // a shift is part of the generator, so a resumed run never mixes clips sampled at different shifts
            // as is a step cache
            String generator = "model " + model.root().toAbsolutePath().normalize() + (shift == null ? "" : " at shift " + shift)
                    + (Double.isNaN(cacheThreshold) ? "" : " with step cache " + cacheThreshold)
                    + adapters.stream().map(a -> " + LoRA " + a.file().toAbsolutePath().normalize() + ":" + a.strength()).collect(Collectors.joining());
            TextToVideo.Options options = new TextToVideo.Options(true, true, null, shift == null ? Double.NaN : shift)
                    .withCache(cacheThreshold).withLoras(adapters, lora.lenient);
            run = AdherenceEval.run(out, generator,
                    () -> ModelLoader.open(model, WeightDtype.AUTO, options, ClipFiles.MP4_ONLY), plan,
                    new AdherenceEval.Sampling(steps, cfg), System.err);
        }
        AdherenceReport report = new AdherenceReport(validation, run);
        report.write(out);
        System.out.print(report.table());
        System.out.println("wrote " + out.resolve(AdherenceReport.JSON) + ", " + out.resolve(AdherenceReport.MARKDOWN) + ", "
                + out.resolve(AdherenceReport.SHEET) + " (" + run.generated() + " clips generated now, " + run.skipped()
                + " already there)");
        return groundTruth && !validation.passed() ? 1 : 0;
    }

    private ModelDirectory model() {
        if (modelDir != null) return ModelDirectory.resolve(modelDir, revision);
        if (revision != null) throw new InvalidRequestException("--revision " + revision + " needs a repo id: --model-dir ORG/NAME");
        return GenerateCommand.defaultModel("Give --model-dir DIR, or --ground-truth to validate the detector only.");
    }
}
