package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
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
import dev.zoetrope.curate.signals.NearDuplicates;

/**
 * The curation run as an Apache Beam pipeline:
 * <pre>
 * sources ─ Reshuffle ─ Extract (probe, shots, windows, signals; per-source done markers) ─┬─ clips ─┬─ LSH band keys ─ GroupByKey ─ near-duplicate pairs ─┐
 *                                                                                          └ reports ┴──────────────────────────────────────────────────────┴─ Finish (VAE latents, decide, manifest, shards, report)
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
        try {
            Pipeline p = Pipeline.create(po);
            PCollection<String> src = p.apply("Sources", Create.of(sources).withCoder(StringUtf8Coder.of()))
                    .apply("Spread", Reshuffle.viaRandomKey());
            PCollectionTuple extracted = src.apply("Extract", ParDo.of(new ExtractFn(options, runId))
                    .withOutputTags(CLIPS, TupleTagList.of(REPORTS)));
            PCollection<ClipResult> clips = extracted.get(CLIPS).setCoder(SerializableCoder.of(ClipResult.class));
            PCollection<SourceReport> reports = extracted.get(REPORTS).setCoder(SerializableCoder.of(SourceReport.class));
            int maxDistance = options.filter().duplicateDistance();
            PCollection<DupPair> pairs = clips
                    .apply("BandKeys", ParDo.of(new BandFn()))
                    .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(Signature.class)))
                    .apply("Buckets", GroupByKey.create())
                    .apply("Compare", ParDo.of(new CompareFn(maxDistance)))
                    .setCoder(SerializableCoder.of(DupPair.class));
            PCollectionView<List<ClipResult>> clipView = clips.apply("ClipList", View.asList());
            PCollectionView<List<SourceReport>> reportView = reports.apply("ReportList", View.asList());
            PCollectionView<List<DupPair>> pairView = pairs.apply("PairList", View.asList());
            p.apply("Once", Create.of("finish").withCoder(StringUtf8Coder.of()))
                    .apply("Finish", ParDo.of(new FinishFn(options, runId, clipView, reportView, pairView))
                            .withSideInputs(clipView, reportView, pairView));
            PipelineResult result = p.run();
            result.waitUntilFinish();
        } catch (Pipeline.PipelineExecutionException e) {
            // A step's failure, unwrapped so the caller sees the message it was raised with.
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof IOException io) throw io;
            throw e;
        } finally {
            bar.close();
            PROGRESS.remove(runId);
            EXTRAS.remove(runId);
            LATENTS.remove(runId);
            LOGS.remove(runId);
        }
        Finalizer.Summary s = SUMMARIES.remove(runId);
        if (s == null) throw new IllegalStateException("the pipeline finished without a summary");
        return s;
    }

    /** A clip's id and its 192-bit signature, travelling through the LSH buckets. */
    public record Signature(String id, long[] hashes) implements Serializable {}

    /** Two clips found to be near-duplicates. */
    public record DupPair(String a, String b) implements Serializable {}

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

    static final class BandFn extends DoFn<ClipResult, KV<Integer, Signature>> {
        @ProcessElement
        public void process(@Element ClipResult c, OutputReceiver<KV<Integer, Signature>> out) {
            Signature s = new Signature(c.clipId(), c.signals().hashes());
            for (int key : NearDuplicates.bandKeys(s.hashes())) out.output(KV.of(key, s));
        }
    }

    static final class CompareFn extends DoFn<KV<Integer, Iterable<Signature>>, DupPair> {
        private final int maxDistance;

        CompareFn(int maxDistance) {
            this.maxDistance = maxDistance;
        }

        @ProcessElement
        public void process(@Element KV<Integer, Iterable<Signature>> bucket, OutputReceiver<DupPair> out) {
            List<Map.Entry<String, long[]>> members = new ArrayList<>();
            for (Signature s : bucket.getValue()) members.add(Map.entry(s.id(), s.hashes()));
            if (members.size() < 2) return;
            members.sort(Map.Entry.comparingByKey());
            for (String[] p : NearDuplicates.pairsInBucket(members, maxDistance)) out.output(new DupPair(p[0], p[1]));
        }
    }

    static final class FinishFn extends DoFn<String, Void> {
        private final CurateOptions options;
        private final String runId;
        private final PCollectionView<List<ClipResult>> clips;
        private final PCollectionView<List<SourceReport>> reports;
        private final PCollectionView<List<DupPair>> pairs;

        FinishFn(CurateOptions options, String runId, PCollectionView<List<ClipResult>> clips,
                 PCollectionView<List<SourceReport>> reports, PCollectionView<List<DupPair>> pairs) {
            this.options = options;
            this.runId = runId;
            this.clips = clips;
            this.reports = reports;
            this.pairs = pairs;
        }

        @ProcessElement
        public void process(ProcessContext c) {
            List<String[]> links = new ArrayList<>();
            for (DupPair p : c.sideInput(pairs)) links.add(new String[]{p.a(), p.b()});
            Map<String, String> duplicates = NearDuplicates.resolve(links);
            ShardExtras extras = EXTRAS.getOrDefault(runId, ShardExtras.NONE);
            try {
                Finalizer.Summary s = new Finalizer(options, extras, LATENTS.get(runId), LOGS.getOrDefault(runId, System.err)).finish(c.sideInput(clips), c.sideInput(reports), duplicates);
                SUMMARIES.put(runId, s);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
