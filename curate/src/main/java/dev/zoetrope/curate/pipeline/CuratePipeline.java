package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

import dev.zoetrope.core.progress.ProgressBar;

/**
 * The curation run as an Apache Beam pipeline:
 * <pre>
 * sources ─ Reshuffle ─ Extract (probe, shots, windows, signals; per-source done markers) ─┬─ clips ─┬─ NearDuplicateSearch (LSH buckets ─ groups ─ union-find) ─┐
 *                                                                                          └ reports ┴────────────────────────────────────────────────────────────┴─ Finish (VAE latents, decide, manifest, shards, report)
 * </pre>
 * Extraction is parallel over sources; near-duplicate search is parallel over LSH buckets; the finishing step runs
 * once. The Direct runner is embedded; any runner whose artifact is on the classpath can be named.
 */
public final class CuratePipeline {
    private static final TupleTag<ClipResult> CLIPS = new TupleTag<>() {};
    private static final TupleTag<SourceReport> REPORTS = new TupleTag<>() {};

    /** Progress bars of runs in this JVM, found by the workers through the run id (the Direct and local runners are in-process). */
    private static final Map<String, ProgressBar> PROGRESS = new ConcurrentHashMap<>();
    /** Results handed back from the finishing step to the caller, by run id. */
    private static final Map<String, Finalizer.Summary> SUMMARIES = new ConcurrentHashMap<>();
    private static final Map<String, ShardExtras> EXTRAS = new ConcurrentHashMap<>();
    private static final Map<String, ClipLatents> LATENTS = new ConcurrentHashMap<>();
    private static final Map<String, PrintStream> LOGS = new ConcurrentHashMap<>();

    private CuratePipeline() {}

    /**
     * Runs curation with the given Beam runner name ({@code DirectRunner}, {@code FlinkRunner}, ...) and extra Beam
     * arguments; returns the summary.
     */
    public static Finalizer.Summary run(CurateOptions options, String runner, List<String> beamArgs, ShardExtras extras,
                                        PrintStream log) throws IOException {
        return run(options, runner, beamArgs, extras, null, log);
    }

    /**
     * As {@link #run(CurateOptions, String, List, ShardExtras, PrintStream)}, with a VAE stage ({@code latents}, may be
     * null): every clip's latents are computed, stored in the shards of accepted clips and pooled into the features.
     */
    public static Finalizer.Summary run(CurateOptions options, String runner, List<String> beamArgs, ShardExtras extras,
                                        ClipLatents latents, PrintStream log) throws IOException {
        if (latents != null) latents.checkSize(options.width(), options.height());
        Finalizer.checkFilterModel(options, latents);
        List<String> sources = SourceScanner.scan(options.inputs());
        log.println("curate: " + sources.size() + " source file(s), clips " + options.minClipSeconds() + "–"
                + options.maxClipSeconds() + " s at " + options.fps() + " fps, " + options.width() + "x" + options.height()
                + ", runner " + runner);
        List<String> args = new ArrayList<>(beamArgs);
        args.add("--runner=" + runner);
        PipelineOptions po = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create();
        String runId = java.util.UUID.randomUUID().toString();
        ProgressBar bar = new ProgressBar("extract", sources.size(), "sources", log, null);
        PROGRESS.put(runId, bar);
        EXTRAS.put(runId, extras == null ? ShardExtras.NONE : extras);
        if (latents != null) LATENTS.put(runId, latents);
        LOGS.put(runId, log);
        PipelineResult.State state = null;
        try {
            Pipeline p = Pipeline.create(po);
            PCollection<String> src = p.apply("Sources", Create.of(sources).withCoder(StringUtf8Coder.of()))
                    .apply("Spread", Reshuffle.viaRandomKey());
            PCollectionTuple extracted = src.apply("Extract", ParDo.of(new ExtractFn(options, runId))
                    .withOutputTags(CLIPS, TupleTagList.of(REPORTS)));
            PCollection<ClipResult> clips = extracted.get(CLIPS).setCoder(SerializableCoder.of(ClipResult.class));
            PCollection<SourceReport> reports = extracted.get(REPORTS).setCoder(SerializableCoder.of(SourceReport.class));
            PCollection<KV<String, String>> duplicates = clips.apply("NearDuplicates",
                    new NearDuplicateSearch(options.filter().duplicateDistance()));
            PCollectionView<List<ClipResult>> clipView = clips.apply("ClipList", View.asList());
            PCollectionView<List<SourceReport>> reportView = reports.apply("ReportList", View.asList());
            PCollectionView<Map<String, String>> duplicateView = duplicates.apply("DuplicateMap", View.asMap());
            p.apply("Once", Create.of("finish").withCoder(StringUtf8Coder.of()))
                    .apply("Finish", ParDo.of(new FinishFn(options, runId, clipView, reportView, duplicateView))
                            .withSideInputs(clipView, reportView, duplicateView));
            PipelineResult result = p.run();
            state = result.waitUntilFinish();
        } catch (Pipeline.PipelineExecutionException e) {
            Exception failure = unwrap(e);
            if (failure instanceof IOException io) throw io;
            throw (RuntimeException) failure;
        } catch (OutOfMemoryError oom) {
            throw outOfMemory(oom);
        } finally {
            bar.close();
            PROGRESS.remove(runId);
            EXTRAS.remove(runId);
            LATENTS.remove(runId);
            LOGS.remove(runId);
        }
        Finalizer.Summary s = SUMMARIES.remove(runId);
        // A runner that reports a failure as a state instead of an exception must not look like a silent success.
        if (state != PipelineResult.State.DONE)
            throw new IllegalStateException("the curation pipeline ended in state " + state + " without an error from its steps");
        if (s == null) throw new IllegalStateException("the pipeline finished without a summary");
        return s;
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

    /** Running out of heap is the machine's limit, not a bug: say so, and how to give the run more. */
    private static CurationException outOfMemory(OutOfMemoryError e) {
        long max = Runtime.getRuntime().maxMemory();
        return new CurationException(String.format(java.util.Locale.ROOT,
                "curation ran out of Java heap (%s, limit %d MB); give the JVM more with ZOETROPE_JAVA_OPTS=-Xmx... or curate fewer sources per run",
                e.getMessage(), max >> 20), e);
    }

    static final class ExtractFn extends DoFn<String, ClipResult> {
        private final CurateOptions options;
        private final String runId;

        ExtractFn(CurateOptions options, String runId) {
            this.options = options;
            this.runId = runId;
        }

        @ProcessElement
        public void process(@Element String source, MultiOutputReceiver out) {
            ClipExtractor.Extracted e = new ClipExtractor(options).extract(source);
            for (ClipResult c : e.clips()) out.get(CLIPS).output(c);
            out.get(REPORTS).output(e.report());
            ProgressBar bar = PROGRESS.get(runId);
            if (bar != null) bar.step();
        }
    }

    static final class FinishFn extends DoFn<String, Void> {
        private final CurateOptions options;
        private final String runId;
        private final PCollectionView<List<ClipResult>> clips;
        private final PCollectionView<List<SourceReport>> reports;
        private final PCollectionView<Map<String, String>> duplicates;

        FinishFn(CurateOptions options, String runId, PCollectionView<List<ClipResult>> clips,
                 PCollectionView<List<SourceReport>> reports, PCollectionView<Map<String, String>> duplicates) {
            this.options = options;
            this.runId = runId;
            this.clips = clips;
            this.reports = reports;
            this.duplicates = duplicates;
        }

        @ProcessElement
        public void process(ProcessContext c) {
            ShardExtras extras = EXTRAS.getOrDefault(runId, ShardExtras.NONE);
            try {
                Finalizer.Summary s = new Finalizer(options, extras, LATENTS.get(runId), LOGS.getOrDefault(runId, System.err)).finish(c.sideInput(clips), c.sideInput(reports), c.sideInput(duplicates));
                SUMMARIES.put(runId, s);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
