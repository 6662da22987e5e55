package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

import dev.zoetrope.curate.filter.Reason;
import dev.zoetrope.curate.signals.ClipSignals;

/** Duplicates resolved by grouping: the kept copy is the best one that passes the other filters. */
class DuplicatesTest {
    /** What the test's pipeline gave back, by clip id (the pipeline runs in this JVM: Direct runner). */
    static final Map<String, Verdict> GOT = new ConcurrentHashMap<>();

    static final class CollectFn extends DoFn<Verdict, Void> {
        @ProcessElement
        public void process(@Element Verdict v) {
            GOT.put(v.decision().clip().clipId(), v);
        }
    }

    static Verdict verdict(String id, double sharpness, Double aesthetic, Reason... reasons) {
        ClipResult c = new ClipResult(id, "src.mp4", 0, 2, 64, 64, 8, 17, "a caption",
                new ClipSignals(1, sharpness, 0.5, 0, 0, 1, 0, 0, new long[3], new float[64]));
        return new Verdict(new Decision(c, List.of(reasons), null, aesthetic, "a caption"), null);
    }

    @Test
    void aCleanClipIsNeverDroppedAsTheDuplicateOfARejectedCopy() {
        GOT.clear();
        Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
        // a is first by id and sharpest but blurry-rejected; b and c pass, c scores higher; d has no duplicate;
        // e and f are both rejected: the sharper is kept, the other is marked too.
        List<Verdict> all = List.of(verdict("a", 900, 0.9, Reason.BLURRY), verdict("b", 300, 0.5), verdict("c", 200, 0.7),
                verdict("d", 100, 0.1, Reason.TOO_DARK), verdict("e", 50, null, Reason.TEXT), verdict("f", 80, null, Reason.TEXT));
        var judged = p.apply("Judged", Create.of(all.stream().map(v -> KV.of(v.decision().clip().clipId(), v)).toList())
                .withCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(Verdict.class))));
        var groups = p.apply("Groups", Create.of(KV.of("a", "a"), KV.of("b", "a"), KV.of("c", "a"), KV.of("e", "e"), KV.of("f", "e"))
                .withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
        Duplicates.resolve(judged, groups).apply("Collect", ParDo.of(new CollectFn()));
        p.run().waitUntilFinish();

        Map<String, Verdict> got = new TreeMap<>(GOT);
        assertEquals(List.of("a", "b", "c", "d", "e", "f"), List.copyOf(got.keySet()));
        assertEquals(List.of(), got.get("c").decision().reasons(), "the best passing copy is kept");
        assertNull(got.get("c").decision().duplicateOf());
        assertEquals(List.of(Reason.BLURRY, Reason.DUPLICATE), got.get("a").decision().reasons());
        assertEquals("c", got.get("a").decision().duplicateOf());
        assertEquals(List.of(Reason.DUPLICATE), got.get("b").decision().reasons());
        assertEquals("c", got.get("b").decision().duplicateOf());
        assertEquals(List.of(Reason.TOO_DARK), got.get("d").decision().reasons(), "a clip with no group passes through");
        assertEquals(List.of(Reason.TEXT), got.get("f").decision().reasons(), "of rejected copies, the sharpest stands");
        assertEquals(List.of(Reason.TEXT, Reason.DUPLICATE), got.get("e").decision().reasons());
        assertEquals("f", got.get("e").decision().duplicateOf());
    }
}
