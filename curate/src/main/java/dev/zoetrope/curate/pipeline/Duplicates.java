package dev.zoetrope.curate.pipeline;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

import dev.zoetrope.curate.filter.Reason;

/**
 * Near-duplicates resolved by grouping: every clip's verdict meets its group (if it has one) by clip id; the verdicts
 * of a group meet by group id; the group keeps its best copy and marks the others duplicates of it. The best copy is
 * one that passes the other filters if any does (so a clean clip is never dropped as a duplicate of a rejected copy),
 * then the one the learned filter scores highest, then the sharpest, then the first by id.
 */
final class Duplicates {
    private static final TupleTag<Verdict> VERDICT = new TupleTag<>() {};
    private static final TupleTag<String> GROUP = new TupleTag<>() {};
    private static final TupleTag<Verdict> ALONE = new TupleTag<>() {};
    private static final TupleTag<KV<String, Verdict>> GROUPED = new TupleTag<>() {};

    private Duplicates() {}

    /** The verdicts of {@code judged} (by clip id), with the duplicates of {@code groups} (clip id → group id) marked. */
    static PCollection<Verdict> resolve(PCollection<KV<String, Verdict>> judged, PCollection<KV<String, String>> groups) {
        PCollectionTuple routed = KeyedPCollectionTuple.of(VERDICT, judged).and(GROUP, groups)
                .apply("JoinGroups", CoGroupByKey.create())
                .apply("Route", ParDo.of(new RouteFn()).withOutputTags(ALONE, TupleTagList.of(GROUPED)));
        PCollection<Verdict> alone = routed.get(ALONE).setCoder(SerializableCoder.of(Verdict.class));
        PCollection<Verdict> resolved = routed.get(GROUPED)
                .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(Verdict.class)))
                .apply("ByGroup", GroupByKey.create())
                .apply("KeepBest", ParDo.of(new KeepBestFn())).setCoder(SerializableCoder.of(Verdict.class));
        return PCollectionList.of(alone).and(resolved).apply("Verdicts", Flatten.pCollections());
    }

    static final class RouteFn extends DoFn<KV<String, CoGbkResult>, Verdict> {
        @ProcessElement
        public void process(@Element KV<String, CoGbkResult> e, MultiOutputReceiver out) {
            String group = e.getValue().getOnly(GROUP, null);
            for (Verdict v : e.getValue().getAll(VERDICT)) {
                if (group == null) out.get(ALONE).output(v);
                else out.get(GROUPED).output(KV.of(group, v));
            }
        }
    }

    /** Which copy of a group is kept: first in this order. */
    static final Comparator<Verdict> BEST = Comparator
            .comparing((Verdict v) -> !v.decision().accepted())
            .thenComparing(v -> v.decision().aesthetic() == null ? Double.NEGATIVE_INFINITY : v.decision().aesthetic(), Comparator.reverseOrder())
            .thenComparing(v -> v.decision().clip().signals().sharpness(), Comparator.reverseOrder())
            .thenComparing(v -> v.decision().clip().clipId());

    static final class KeepBestFn extends DoFn<KV<String, Iterable<Verdict>>, Verdict> {
        @ProcessElement
        public void process(@Element KV<String, Iterable<Verdict>> group, OutputReceiver<Verdict> out) {
            List<Verdict> members = new ArrayList<>();
            group.getValue().forEach(members::add);
            members.sort(BEST);
            String kept = members.getFirst().decision().clip().clipId();
            out.output(members.getFirst());
            for (Verdict v : members.subList(1, members.size())) out.output(markDuplicate(v, kept));
        }
    }

    static Verdict markDuplicate(Verdict v, String of) {
        Decision d = v.decision();
        List<Reason> reasons = new ArrayList<>(d.reasons());
        reasons.add(Reason.DUPLICATE);
        return new Verdict(new Decision(d.clip(), List.copyOf(reasons), of, d.aesthetic(), d.caption()), v.visual());
    }
}
