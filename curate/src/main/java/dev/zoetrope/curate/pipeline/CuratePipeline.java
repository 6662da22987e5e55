package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.progress.ProgressBar;

/**
 * The curation run as an Apache Beam pipeline, parallel from end to end:
 * <pre>
 *                             ┌─ long sources' time ranges ─ Spread ─ ScanRanges ─ GroupByKey ─ PlanRanges ─ Spread ─ CutRanges ─ GroupByKey ─ FinishRanged ─ (clips, reports)
 * sources ─ Spread ─ Extract ─┼─ clips ─┬─ Judge (latents, rules, learned score, VLM) ─────┬─ CoGroupByKey (by clip) ─ Route ─┬─ alone ───────────────────────────────┐
 *                             │         └─ NearDuplicateSearch (clip → its group) ─────────┘                                  └─ in a group ─ GroupByKey ─ KeepBest ───┴─ verdicts ─┬─ TextIO work/run/verdicts
 *                             └─ reports ─ TextIO work/run/reports                                                                                                                  └─ accepted ─ by shard ─ GroupByKey ─ WriteShard
 * </pre>
 * Every clip is judged on its own, in parallel (the VAE, the filter model and the VLM client are loaded once per
 * worker); near-duplicates are resolved per group, keeping the best copy that passes the other filters; the workers
 * write the verdicts, the source reports and one shard set per shard. The driver then assembles the run's files from
 * what was written ({@link Finalizer#assemble}): manifest.jsonl, features.jsonl, shards/, summary.json, report.html.
 *
 * <p>Nothing is shared between the driver and the workers but the pipeline's elements and the files under the output
 * directory, so any runner can run it: the embedded Direct runner, or Flink across processes or machines whose workers
 * see the same file system at the same path.
 */
public final class CuratePipeline {
    private static final TupleTag<ClipResult> CLIPS = new TupleTag<>() {};
    private static final TupleTag<SourceReport> REPORTS = new TupleTag<>() {};
    private static final TupleTag<KV<String, ClipExtractor.Range>> RANGES = new TupleTag<>() {};

    private CuratePipeline() {}

    /** {@link #run(CurateOptions, String, List, ShardExtras, ClipLatents.Spec, PrintStream)} without a VAE stage. */
    public static Finalizer.Summary run(CurateOptions options, String runner, List<String> beamArgs, ShardExtras extras,
                                        PrintStream log) throws IOException {
        return run(options, runner, beamArgs, extras, null, log);
    }

    /**
     * Runs curation with the given Beam runner name ({@code DirectRunner}, {@code FlinkRunner}, ...) and extra Beam
     * arguments; returns the summary. With a VAE stage ({@code latents}, may be null) every clip's latents are computed
     * (and cached per clip), stored in the shards of accepted clips and pooled into the features.
     */
    public static Finalizer.Summary run(CurateOptions options, String runner, List<String> beamArgs, ShardExtras extras,
                                        ClipLatents.Spec latents, PrintStream log) throws IOException {
        checkBeforeRun(options, latents);
        List<String> sources = SourceScanner.scan(options.inputs());
        log.println("curate: " + sources.size() + " source file(s), clips " + options.minClipSeconds() + "–"
                + options.maxClipSeconds() + " s at " + options.fps() + " fps, " + options.width() + "x" + options.height()
                + ", runner " + runner);
        Path out = Path.of(options.out());
        Path run = out.resolve("work").resolve("run");
        if (Files.exists(run)) Finalizer.deleteTree(run); // the parts of an earlier run, finished or not
        Files.createDirectories(run);
        List<String> args = new ArrayList<>(beamArgs);
        args.add("--runner=" + runner);
        PipelineOptions po = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create();
        PipelineResult.State state;
        try (ExtractionProgress progress = new ExtractionProgress(new ClipExtractor(options), sources, log)) {
            Pipeline p = Pipeline.create(po);
            build(p, options, sources, extras == null ? ShardExtras.NONE : extras, latents, run);
            state = p.run().waitUntilFinish();
        } catch (Pipeline.PipelineExecutionException e) {
            Exception failure = unwrap(e);
            if (failure instanceof IOException io) throw io;
            throw (RuntimeException) failure;
        } catch (OutOfMemoryError oom) {
            throw outOfMemory(oom);
        } catch (RuntimeException e) {
            throw runnerFailure(runner, e);
        }
        // A runner that reports a failure as a state instead of an exception must not look like a silent success.
        if (state != PipelineResult.State.DONE)
            throw new IllegalStateException("the curation pipeline ended in state " + state + " without an error from its steps");
        return new Finalizer(options, log).assemble(run);
    }

    /** Refuses what would fail later, before any clip is cut: an output size the VAE cannot encode, a filter model of other features. */
    private static void checkBeforeRun(CurateOptions options, ClipLatents.Spec latents) {
        if (latents == null) {
            Finalizer.checkFilterModel(options, 0);
            return;
        }
        try (ClipLatents vae = latents.open()) {
            vae.checkSize(options.width(), options.height());
            Finalizer.checkFilterModel(options, 2 * vae.vae().config().zDim());
        }
    }

    /** The graph: see the class comment. */
    static void build(Pipeline p, CurateOptions options, List<String> sources, ShardExtras extras, ClipLatents.Spec latents,
                      Path run) {
        PCollection<String> src = p.apply("Sources", Create.of(sources).withCoder(StringUtf8Coder.of()))
                .apply("Spread", Reshuffle.viaRandomKey());
        PCollectionTuple extracted = src.apply("Extract", ParDo.of(new ExtractFn(options))
                .withOutputTags(CLIPS, TupleTagList.of(REPORTS).and(RANGES)));
        // Long sources come back as time ranges: scanned in parallel, planned per source, cut in parallel.
        PCollectionTuple ranged = extracted.get(RANGES)
                .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(ClipExtractor.Range.class)))
                .apply("SpreadRanges", Reshuffle.viaRandomKey())
                .apply("ScanRanges", ParDo.of(new ScanFn(options)))
                .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(ClipExtractor.RangeScan.class)))
                .apply("GroupScans", GroupByKey.create())
                .apply("PlanRanges", ParDo.of(new PlanFn(options)))
                .setCoder(SerializableCoder.of(ClipExtractor.CutTask.class))
                .apply("SpreadCuts", Reshuffle.viaRandomKey())
                .apply("CutRanges", ParDo.of(new CutFn(options)))
                .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(RangeClips.class)))
                .apply("GroupRanges", GroupByKey.create())
                .apply("FinishRanged", ParDo.of(new FinishRangedFn(options)).withOutputTags(CLIPS, TupleTagList.of(REPORTS)));
        PCollection<ClipResult> clips = PCollectionList.of(extracted.get(CLIPS).setCoder(SerializableCoder.of(ClipResult.class)))
                .and(ranged.get(CLIPS).setCoder(SerializableCoder.of(ClipResult.class)))
                .apply("AllClips", Flatten.pCollections());
        PCollection<SourceReport> reports = PCollectionList.of(extracted.get(REPORTS).setCoder(SerializableCoder.of(SourceReport.class)))
                .and(ranged.get(REPORTS).setCoder(SerializableCoder.of(SourceReport.class)))
                .apply("AllReports", Flatten.pCollections());
        reports.apply("ReportJson", MapElements.into(TypeDescriptors.strings()).via((SourceReport r) -> Verdict.json(r)))
                .apply("WriteReports", TextIO.write().to(run.resolve("reports").resolve("part").toString()).withSuffix(".jsonl"));

        PCollection<KV<String, Verdict>> judged = clips.apply("Judge", ParDo.of(new JudgeFn(options, latents)))
                .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(Verdict.class)));
        PCollection<KV<String, String>> groups = clips.apply("NearDuplicates", new NearDuplicateSearch(options.filter().duplicateDistance()));
        PCollection<Verdict> verdicts = Duplicates.resolve(judged, groups);
        verdicts.apply("VerdictJson", MapElements.into(TypeDescriptors.strings()).via((Verdict v) -> Verdict.json(v)))
                .apply("WriteVerdicts", TextIO.write().to(run.resolve("verdicts").resolve("part").toString()).withSuffix(".jsonl"));

        PCollection<Verdict> accepted = verdicts.apply("Accepted", Filter.by(v -> v.decision().accepted()));
        PCollectionView<Long> count = accepted.apply("CountAccepted", Count.globally()).apply("AcceptedView", View.asSingleton());
        accepted.apply("ByShard", ParDo.of(new ShardKeyFn(options.clipsPerShard(), count)).withSideInputs(count))
                .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(Verdict.class)))
                .apply("GroupShards", GroupByKey.create())
                .apply("WriteShards", ParDo.of(new WriteShardFn(options, extras, latents == null ? null : latents.key(),
                        run.resolve("shards").toString())));
    }

    /**
     * What a step's failure is reported as: the exception it was raised with, so the caller sees its message; running
     * out of heap as a {@link CurationException} saying so; other errors are rethrown as they are.
     */
    static Exception unwrap(Pipeline.PipelineExecutionException e) {
        return switch (e.getCause()) {
            case RuntimeException r -> r;
            case IOException io -> io;
            case OutOfMemoryError oom -> outOfMemory(oom);
            case Error err -> throw err;
            case null, default -> e;
        };
    }

    /**
     * A runner that reports a failed job in its own exception (Flink: "Pipeline execution failed", the step's error deep
     * in the causes): the step's own error when it is one of ours, else the deepest cause's message, naming the runner.
     */
    static RuntimeException runnerFailure(String runner, RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            if (root instanceof dev.zoetrope.core.InvalidRequestException || root instanceof CurationException) return (RuntimeException) root;
            root = root.getCause();
        }
        if (root == e) return e;
        if (root instanceof dev.zoetrope.core.InvalidRequestException || root instanceof CurationException) return (RuntimeException) root;
        return new CurationException("the " + runner + " job failed: " + root, e);
    }

    /** Running out of heap is the machine's limit, not a bug: say so, and how to give the run more. */
    private static CurationException outOfMemory(OutOfMemoryError e) {
        long max = Runtime.getRuntime().maxMemory();
        return new CurationException(String.format(java.util.Locale.ROOT,
                "curation ran out of Java heap (%s, limit %d MB); give the JVM more with ZOETROPE_JAVA_OPTS=-Xmx... or curate fewer sources per run",
                e.getMessage(), max >> 20), e);
    }

    /**
     * Cuts each source into clips: the clips, and a report of what happened to it; a long source is passed on as its
     * time ranges instead.
     */
    static final class ExtractFn extends DoFn<String, ClipResult> {
        private final CurateOptions options;

        ExtractFn(CurateOptions options) {
            this.options = options;
        }

        @ProcessElement
        public void process(@Element String source, MultiOutputReceiver out) {
            ClipExtractor extractor = new ClipExtractor(options);
            List<ClipExtractor.Range> ranges = extractor.ranges(source);
            if (!ranges.isEmpty()) {
                for (ClipExtractor.Range r : ranges) out.get(RANGES).output(KV.of(source, r));
                return;
            }
            ClipExtractor.Extracted e = extractor.extract(source);
            for (ClipResult c : e.clips()) out.get(CLIPS).output(c);
            out.get(REPORTS).output(e.report());
        }
    }

    /** Scans one time range of a long source for shot events. */
    static final class ScanFn extends DoFn<KV<String, ClipExtractor.Range>, KV<String, ClipExtractor.RangeScan>> {
        private final CurateOptions options;

        ScanFn(CurateOptions options) {
            this.options = options;
        }

        @ProcessElement
        public void process(@Element KV<String, ClipExtractor.Range> e, OutputReceiver<KV<String, ClipExtractor.RangeScan>> out) {
            out.output(KV.of(e.getKey(), new ClipExtractor(options).scan(e.getKey(), e.getValue())));
        }
    }

    /** Joins a long source's range scans into its shots and windows: one cut task per range with windows. */
    static final class PlanFn extends DoFn<KV<String, Iterable<ClipExtractor.RangeScan>>, ClipExtractor.CutTask> {
        private final CurateOptions options;

        PlanFn(CurateOptions options) {
            this.options = options;
        }

        @ProcessElement
        public void process(@Element KV<String, Iterable<ClipExtractor.RangeScan>> e, OutputReceiver<ClipExtractor.CutTask> out) {
            List<ClipExtractor.RangeScan> scans = new ArrayList<>();
            e.getValue().forEach(scans::add);
            new ClipExtractor(options).plan(e.getKey(), scans).forEach(out::output);
        }
    }

    /** One range's cut task and the clips it gave. */
    record RangeClips(ClipExtractor.CutTask task, List<ClipResult> clips) implements java.io.Serializable {}

    /** Cuts the clip windows that start in one range. */
    static final class CutFn extends DoFn<ClipExtractor.CutTask, KV<String, RangeClips>> {
        private final CurateOptions options;

        CutFn(CurateOptions options) {
            this.options = options;
        }

        @ProcessElement
        public void process(@Element ClipExtractor.CutTask t, OutputReceiver<KV<String, RangeClips>> out) {
            out.output(KV.of(t.source(), new RangeClips(t, new ClipExtractor(options).cut(t))));
        }
    }

    /** A long source's clips and report from its ranges, with its done marker written. */
    static final class FinishRangedFn extends DoFn<KV<String, Iterable<RangeClips>>, ClipResult> {
        private final CurateOptions options;

        FinishRangedFn(CurateOptions options) {
            this.options = options;
        }

        @ProcessElement
        public void process(@Element KV<String, Iterable<RangeClips>> e, MultiOutputReceiver out) {
            List<ClipExtractor.CutTask> tasks = new ArrayList<>();
            List<ClipResult> clips = new ArrayList<>();
            for (RangeClips r : e.getValue()) {
                tasks.add(r.task());
                clips.addAll(r.clips());
            }
            ClipExtractor.Extracted done = new ClipExtractor(options).finish(e.getKey(), tasks, clips);
            for (ClipResult c : done.clips()) out.get(CLIPS).output(c);
            out.get(REPORTS).output(done.report());
        }
    }

    /**
     * Puts each accepted clip in one of ⌈accepted / clipsPerShard⌉ shards by a hash of its id: the shard a clip lands in
     * depends on nothing but the id and the count, so a retried step writes the same shard again.
     */
    static final class ShardKeyFn extends DoFn<Verdict, KV<Integer, Verdict>> {
        private final int clipsPerShard;
        private final PCollectionView<Long> count;

        ShardKeyFn(int clipsPerShard, PCollectionView<Long> count) {
            this.clipsPerShard = clipsPerShard;
            this.count = count;
        }

        @ProcessElement
        public void process(ProcessContext c) {
            long n = c.sideInput(count);
            int shards = (int) Math.max(1, (n + clipsPerShard - 1) / clipsPerShard);
            c.output(KV.of(Math.floorMod(c.element().decision().clip().clipId().hashCode(), shards), c.element()));
        }
    }

    /**
     * The driver's progress bar while the workers extract: sources whose done marker ({@code work/sources/}) is written,
     * counted from the file system, so it works whichever processes do the work.
     */
    static final class ExtractionProgress implements AutoCloseable {
        private final ProgressBar bar;
        private final Thread poller;
        private volatile boolean done;
        private boolean closed;

        ExtractionProgress(ClipExtractor extractor, List<String> sources, PrintStream log) {
            bar = new ProgressBar("extract", sources.size(), "sources", log, null);
            List<Path> markers = sources.stream().map(extractor::marker).toList();
            poller = Thread.ofVirtual().unstarted(() -> {
                while (!done) {
                    long n = markers.stream().filter(Files::isRegularFile).count();
                    bar.stepTo(n);
                    if (n == markers.size()) {
                        closeBar();
                        log.println("curate: every source cut; judging clips, resolving near-duplicates, writing shards ...");
                        return;
                    }
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            poller.start();
        }

        @Override
        public void close() {
            done = true;
            poller.interrupt();
            try {
                poller.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closeBar();
        }

        private synchronized void closeBar() {
            if (closed) return;
            closed = true;
            bar.close();
        }
    }

    /** Sorted file list of a directory's regular files matching a prefix (none if it does not exist). */
    static List<Path> parts(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (var s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().startsWith(prefix)).sorted(Comparator.comparing(Path::toString)).toList();
        }
    }
}
