package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

import dev.zoetrope.curate.signals.NearDuplicates;

/**
 * Near-duplicate search as one Beam transform: clips in, {@code (clip id, group id)} out for every clip that has a
 * near-duplicate (which copy of a group is kept is decided later, with the other filters' verdicts: {@link Duplicates}).
 * <pre>
 * clips ─ BandKeys (16 per clip) ─ GroupByKey ─ Link (groups per bucket, ≤ 1 link per member and merge) ─ Resolve (union-find) ─ pairs
 * </pre>
 * Buckets are linked in parallel; {@link NearDuplicates#linkBucket} bounds both the comparisons and the links a bucket
 * gives (see there). The links are joined by a combine whose accumulator is a union-find forest holding one entry per
 * linked clip, merged associatively across workers, so no step sees a list of all clips or all pairs. No static
 * state: everything a worker needs travels in the functions.
 *
 * <p>Metrics: {@code near-duplicates/comparisons} counts signature comparisons, {@code near-duplicates/links} the
 * links leaving the buckets.
 */
public final class NearDuplicateSearch extends PTransform<PCollection<ClipResult>, PCollection<KV<String, String>>> {
    public static final String NAMESPACE = "near-duplicates";
    public static final String COMPARISONS = "comparisons";
    public static final String LINKS = "links";

    private final int maxDistance;

    public NearDuplicateSearch(int maxDistance) {
        this.maxDistance = maxDistance;
    }

    /** A clip's id and its 192-bit signature, travelling through the LSH buckets. */
    public record Signature(String id, long[] hashes) implements Serializable {}

    /** Signatures on the wire: the id, then the hashes; 16 of them per clip cross the shuffle, Java serialization would be most of the bytes. */
    static final class SignatureCoder extends AtomicCoder<Signature> {
        @Override
        public void encode(Signature s, OutputStream out) throws IOException {
            StringUtf8Coder.of().encode(s.id(), out);
            VarIntCoder.of().encode(s.hashes().length, out);
            for (long h : s.hashes()) BigEndianLongCoder.of().encode(h, out);
        }

        @Override
        public Signature decode(InputStream in) throws IOException {
            String id = StringUtf8Coder.of().decode(in);
            long[] hashes = new long[VarIntCoder.of().decode(in)];
            for (int i = 0; i < hashes.length; i++) hashes[i] = BigEndianLongCoder.of().decode(in);
            return new Signature(id, hashes);
        }
    }

    @Override
    public PCollection<KV<String, String>> expand(PCollection<ClipResult> clips) {
        return clips
                .apply("BandKeys", ParDo.of(new BandFn()))
                .setCoder(KvCoder.of(VarIntCoder.of(), new SignatureCoder()))
                .apply("Buckets", GroupByKey.create())
                .apply("Link", ParDo.of(new LinkFn(maxDistance)))
                .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
                .apply("Resolve", Combine.globally(new ResolveFn()).withoutDefaults())
                .setCoder(SerializableCoder.of(NearDuplicates.Forest.class))
                .apply("Pairs", ParDo.of(new PairsFn()))
                .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    }

    static final class BandFn extends DoFn<ClipResult, KV<Integer, Signature>> {
        @ProcessElement
        public void process(@Element ClipResult c, OutputReceiver<KV<Integer, Signature>> out) {
            Signature s = new Signature(c.clipId(), c.signals().hashes());
            for (int key : NearDuplicates.bandKeys(s.hashes())) out.output(KV.of(key, s));
        }
    }

    static final class LinkFn extends DoFn<KV<Integer, Iterable<Signature>>, KV<String, String>> {
        private final int maxDistance;
        private final Counter comparisons = Metrics.counter(NAMESPACE, COMPARISONS);
        private final Counter links = Metrics.counter(NAMESPACE, LINKS);

        LinkFn(int maxDistance) {
            this.maxDistance = maxDistance;
        }

        @ProcessElement
        public void process(@Element KV<Integer, Iterable<Signature>> bucket, OutputReceiver<KV<String, String>> out) {
            List<Map.Entry<String, long[]>> members = new ArrayList<>();
            for (Signature s : bucket.getValue()) members.add(Map.entry(s.id(), s.hashes()));
            if (members.size() < 2) return;
            // Sorted, so the links (and the work) do not depend on the order the runner delivers the bucket in.
            members.sort(Map.Entry.comparingByKey());
            NearDuplicates.BucketLinks b = NearDuplicates.linkBucket(members, maxDistance);
            comparisons.inc(b.comparisons());
            links.inc(b.links().size());
            for (String[] l : b.links()) out.output(KV.of(l[0], l[1]));
        }
    }

    /** Links into one union-find forest; partial forests from different workers merge. */
    static final class ResolveFn extends Combine.CombineFn<KV<String, String>, NearDuplicates.Forest, NearDuplicates.Forest> {
        @Override
        public NearDuplicates.Forest createAccumulator() {
            return new NearDuplicates.Forest();
        }

        @Override
        public NearDuplicates.Forest addInput(NearDuplicates.Forest f, KV<String, String> link) {
            f.link(link.getKey(), link.getValue());
            return f;
        }

        @Override
        public NearDuplicates.Forest mergeAccumulators(Iterable<NearDuplicates.Forest> forests) {
            NearDuplicates.Forest out = new NearDuplicates.Forest();
            for (NearDuplicates.Forest f : forests) out.addAll(f);
            return out;
        }

        @Override
        public NearDuplicates.Forest extractOutput(NearDuplicates.Forest f) {
            return f;
        }

        @Override
        public Coder<NearDuplicates.Forest> getAccumulatorCoder(CoderRegistry registry, Coder<KV<String, String>> input) {
            return SerializableCoder.of(NearDuplicates.Forest.class);
        }
    }

    static final class PairsFn extends DoFn<NearDuplicates.Forest, KV<String, String>> {
        @ProcessElement
        public void process(@Element NearDuplicates.Forest f, OutputReceiver<KV<String, String>> out) {
            for (var e : f.groups().entrySet()) out.output(KV.of(e.getKey(), e.getValue()));
        }
    }
}
