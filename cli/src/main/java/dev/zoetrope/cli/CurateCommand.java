package dev.zoetrope.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.filter.FilterConfig;
import dev.zoetrope.curate.pipeline.ClipLatents;
import dev.zoetrope.curate.pipeline.CurateOptions;
import dev.zoetrope.curate.pipeline.CuratePipeline;
import dev.zoetrope.curate.pipeline.Finalizer;
import dev.zoetrope.curate.pipeline.ModelInputs;
import dev.zoetrope.curate.pipeline.ShardExtras;
import dev.zoetrope.curate.testset.Scorer;
import dev.zoetrope.curate.testset.TestSetMaker;
import dev.zoetrope.models.pipeline.ModelDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "curate", mixinStandardHelpOptions = true,
        description = {"Curate videos into training shards: ingest, shot split, clip windows, quality signals, "
                + "near-duplicates, learned filter, optional VLM captions; writes manifest.jsonl, shards/, report.html."},
        subcommands = {CurateCommand.MakeTestSet.class, CurateCommand.Score.class})
final class CurateCommand implements Callable<Integer> {
    @Option(names = "--in", split = ",", paramLabel = "SOURCE",
            description = "Video files, directories (searched for mp4/mov/mkv/webm) or .txt file lists; repeat or comma-separate.")
    List<String> inputs;

    @Option(names = "--out", description = "Output directory.")
    Path out;

    @Option(names = "--runner", defaultValue = "direct", description = "Beam runner: direct (embedded, the default) or flink "
            + "(see --flink-master).")
    String runner;

    @Option(names = "--flink-master", paramLabel = "[local]|HOST:PORT", defaultValue = "[local]", description = "With --runner "
            + "flink: [local] runs an embedded Flink in this process; HOST:PORT submits to a Flink session cluster (its "
            + "JobManager's REST port), whose workers must see --in and --out at the same paths (default: ${DEFAULT-VALUE}).")
    String flinkMaster;

    @Option(names = "--parallelism", paramLabel = "N", description = "With --runner flink: parallel tasks per step (default: "
            + "the cluster's, or the cores of this machine for [local]).")
    Integer parallelism;

    @Option(names = "--resolution", defaultValue = "360p", description = "Output size: 360p, 720p or WxH (e.g. 64x64).")
    String resolution;

    @Option(names = "--min-seconds", defaultValue = "2") double minSeconds;
    @Option(names = "--max-seconds", defaultValue = "5") double maxSeconds;
    @Option(names = "--fps", defaultValue = "24") double fps;
    @Option(names = "--trim-frames", defaultValue = "2", description = "Source frames left out at each shot edge.") int trimFrames;
    @Option(names = "--clips-per-shard", defaultValue = "64") int clipsPerShard;
    @Option(names = "--max-source-size", defaultValue = "8192x4320", paramLabel = "WxH",
            description = "Largest picture a source may declare, as WxH (its pixel count is the limit) or a pixel count; "
                    + "larger sources are skipped as too_large before a frame is decoded.")
    String maxSourceSize;

    @Option(names = "--filter-config", description = "JSON with rule thresholds (snake_case names of FilterConfig).")
    Path filterConfig;

    @Option(names = "--model", description = "Learned filter model JSON from `zoetrope label train`.")
    Path model;

    @Option(names = "--tokenizer", description = "Text-encoder tokenizer (spiece.model, tokenizer.json or its directory): stores caption token ids in the shards.")
    Path tokenizer;

    @Option(names = "--text-encoder", description = "T5 encoder directory (config.json + weights): with --tokenizer, stores text_states in the shards.")
    Path textEncoder;

    @Option(names = "--vae", description = "VAE (safetensors file, VAE directory, or model directory with vae/): stores each accepted clip's "
            + "latents in the shards and adds pooled latent statistics to features.jsonl. Clip width and height must be multiples of 8.")
    Path vae;

    @Option(names = "--latents-from", paramLabel = "MODEL_DIR", description = "A model directory (e.g. models/zoetrope-tiny) "
            + "or a Hugging Face repo id in the local hub cache: its VAE for the latents and its tokenizer (cut at its DiT's "
            + "text_len) for text_ids, so `train --shards` can train on the shards directly. Replaces --vae and --tokenizer.")
    String latentsFrom;

    @Option(names = "--revision", paramLabel = "REV", description = "With --latents-from ORG/NAME: the branch, tag or commit hash (default: main).")
    String revision;

    @Option(names = "--vlm-url", description = "OpenAI-compatible base URL (…/v1) for the VLM stage; omitted: no VLM stage.")
    String vlmUrl;
    @Option(names = "--vlm-model", defaultValue = "gpt-4o-mini") String vlmModel;
    @Option(names = "--vlm-key-env", defaultValue = "OPENAI_API_KEY", description = "Environment variable holding the API key.")
    String vlmKeyEnv;
    @Option(names = "--vlm-rate", defaultValue = "2", description = "Requests per second at most.") double vlmRate;
    @Option(names = "--vlm-frames", defaultValue = "4") int vlmFrames;
    @Option(names = "--range-seconds", defaultValue = "600", paramLabel = "S",
            description = "Sources longer than about 1.5 x S are split into time ranges of S seconds, scanned and cut in "
                    + "parallel (the same clips as whole); at least twice --max-seconds.")
    double rangeSeconds;

    @Override
    public Integer call() throws Exception {
        if (inputs == null || inputs.isEmpty() || out == null)
            throw new InvalidRequestException("curate needs --in SOURCES and --out DIR (or a subcommand: make-testset, score)");
        CurateOptions o = options(inputs, out.toString(), resolution, minSeconds, maxSeconds, fps, clipsPerShard);
        o = new CurateOptions(o.inputs(), o.out(), o.minClipSeconds(), o.maxClipSeconds(), o.fps(), o.width(), o.height(),
                trimFrames, o.filter(), o.modelPath(), o.vlm(), o.clipsPerShard(), o.crf(), pixels(maxSourceSize), rangeSeconds);
        if (filterConfig != null) o = o.withFilter(FilterConfig.read(filterConfig));
        if (model != null) o = o.withModel(model.toString());
        if (vlmUrl != null) o = o.withVlm(new CurateOptions.VlmSettings(vlmUrl, vlmModel, vlmKeyEnv, vlmRate, 60, 4, vlmFrames));
        if (revision != null && latentsFrom == null)
            throw new InvalidRequestException("--revision applies to a repo id given with --latents-from");
        Path vaePath = vae, tokenizerPath = tokenizer;
        int textLength = 512;
        if (latentsFrom != null) {
            if (vae != null || tokenizer != null)
                throw new InvalidRequestException("--latents-from takes the VAE and tokenizer from " + latentsFrom + "; drop --vae and --tokenizer");
            ModelInputs m = ModelInputs.of(ModelDirectory.resolve(latentsFrom, revision));
            vaePath = m.vae();
            tokenizerPath = m.tokenizer();
            textLength = m.textLength();
        }
        if (textEncoder != null && tokenizerPath == null) throw new InvalidRequestException("--text-encoder needs --tokenizer");
        // The tokenizer is loaded here once to fail early on a bad one; the workers load what the extras name.
        if (tokenizerPath != null) dev.zoetrope.models.text.Tokenizers.load(tokenizerPath, textLength);
        ShardExtras extras = tokenizerPath == null ? ShardExtras.NONE
                : textEncoder == null ? new dev.zoetrope.curate.pipeline.CaptionTokens(tokenizerPath.toString(), textLength)
                : new dev.zoetrope.curate.pipeline.TextStates(tokenizerPath.toString(), textLength, textEncoder.toString());
        ClipLatents.Spec latents = vaePath == null ? null : ClipLatents.Spec.of(vaePath);
        Finalizer.Summary s = CuratePipeline.run(o, runnerClass(runner), runnerArgs(), extras, latents, System.err);
        System.out.printf(Locale.ROOT, "%d sources (%d usable, problems %s), %d shots, %d clips: %d accepted, rejected %s; %d clips in shards%n",
                s.sources(), s.sourcesOk(), s.sourceProblems(), s.shots(), s.clips(), s.accepted(), s.rejectedBy(), s.shardClips());
        System.out.println("wrote " + out.resolve("manifest.jsonl") + ", " + out.resolve("shards") + ", " + out.resolve("report.html"));
        return 0;
    }

    static CurateOptions options(List<String> inputs, String out, String resolution, double min, double max, double fps, int perShard) {
        int[] wh = switch (resolution.toLowerCase(Locale.ROOT)) {
            case "360p" -> new int[]{640, 360};
            case "720p" -> new int[]{1280, 720};
            default -> {
                String[] p = resolution.toLowerCase(Locale.ROOT).split("x");
                if (p.length != 2) throw new InvalidRequestException("--resolution must be 360p, 720p or WxH, not '" + resolution + "'");
                yield new int[]{Integer.parseInt(p[0]), Integer.parseInt(p[1])};
            }
        };
        CurateOptions o = CurateOptions.defaults(inputs, out).withSize(wh[0], wh[1]).withClipSeconds(min, max).withClipsPerShard(perShard);
        return new CurateOptions(o.inputs(), o.out(), o.minClipSeconds(), o.maxClipSeconds(), fps, o.width(), o.height(),
                o.trimFrames(), o.filter(), o.modelPath(), o.vlm(), o.clipsPerShard(), o.crf());
    }

    /** {@code WxH} or a plain pixel count. */
    static long pixels(String size) {
        try {
            String[] p = size.toLowerCase(Locale.ROOT).split("x");
            if (p.length == 1) return Long.parseLong(p[0].strip());
            if (p.length == 2) return Math.multiplyExact(Long.parseLong(p[0].strip()), Long.parseLong(p[1].strip()));
        } catch (NumberFormatException | ArithmeticException e) {
            // falls through to the message below
        }
        throw new InvalidRequestException("--max-source-size must be WxH or a pixel count, not '" + size + "'");
    }

    /**
     * Beam arguments for the chosen runner. The Direct runner's checks that every element survives encoding unchanged
     * and is not mutated are for testing pipelines (the tests keep them on); without them the validation corpus was
     * curated 1.8 times as fast (docs/curation.md, throughput).
     */
    List<String> runnerArgs() {
        List<String> args = new ArrayList<>();
        if (!runnerClass(runner).equals("FlinkRunner")) {
            if (parallelism != null || !"[local]".equals(flinkMaster))
                throw new InvalidRequestException("--flink-master and --parallelism apply to --runner flink");
            args.add("--enforceImmutability=false");
            args.add("--enforceEncodability=false");
            return args;
        }
        if (parallelism != null && parallelism < 1) throw new InvalidRequestException("--parallelism must be at least 1, got " + parallelism);
        args.add("--flinkMaster=" + flinkMaster);
        if (parallelism != null) args.add("--parallelism=" + parallelism);
        if (!"[local]".equals(flinkMaster)) args.add("--filesToStage=" + String.join(",", stagedJars()));
        return args;
    }

    /** The jars a remote cluster needs to run the pipeline's steps: this process's class path. */
    static List<String> stagedJars() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(p -> p.endsWith(".jar")).toList();
    }

    /** Beam runner class names; a runner whose artifact is absent fails with Beam's own clear message. */
    static String runnerClass(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "direct" -> "DirectRunner";
            case "flink" -> "FlinkRunner";
            default -> name;
        };
    }

    @Command(name = "make-testset", mixinStandardHelpOptions = true,
            description = "Build the validation corpus (cuts, fades, static, blurred, dark, letterboxed, text, duplicates) with truth.json.")
    static final class MakeTestSet implements Callable<Integer> {
        @Option(names = "--out", required = true) Path out;
        @Option(names = "--small", description = "A tiny corpus (for quick checks).") boolean small;

        @Override
        public Integer call() throws Exception {
            var truth = new TestSetMaker(out, small ? TestSetMaker.Size.SMALL : TestSetMaker.Size.FULL, System.err).make();
            System.out.println("wrote " + truth.cutVideos().size() + " cut videos and " + truth.clips().size()
                    + " category clips (+ broken and too-short files) to " + out.resolve("videos") + "; truth in " + out.resolve("truth.json"));
            return 0;
        }
    }

    @Command(name = "score", mixinStandardHelpOptions = true,
            description = "Curate the validation corpus and report each detector's precision and recall against truth.json.")
    static final class Score implements Callable<Integer> {
        @Option(names = "--testset", required = true) Path testset;
        @Option(names = "--out", required = true, description = "Where the curation run goes (re-used when done).") Path out;
        @Option(names = "--resolution", defaultValue = "128x72") String resolution;
        @Option(names = "--runner", defaultValue = "direct") String runner;
        @Option(names = "--tolerance", defaultValue = "2", description = "Boundary tolerance in frames.") int tolerance;

        @Override
        public Integer call() throws Exception {
            CurateOptions o = options(List.of(testset.resolve("videos").toString()), out.toString(), resolution, 2, 5, 24, 64);
            CuratePipeline.run(o, runnerClass(runner), new ArrayList<>(), ShardExtras.NONE, System.err);
            Scorer.Score s = Scorer.score(testset, out, tolerance);
            System.out.print(s.table());
            Json.write(out.resolve("score.json"), s);
            return 0;
        }
    }
}
