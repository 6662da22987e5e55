package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

import dev.zoetrope.curate.signals.ClipSignals;
import dev.zoetrope.curate.signals.NearDuplicates;

/**
 * The near-duplicate transform on the Direct runner: the same groups as the in-memory search, and work (counted by
 * its own metrics, not timed) that grows with the clip count, not its square, on a source that keeps repeating.
 */
class NearDuplicateSearchTest {
    /** Outputs of test pipelines by run id (the Direct runner is in-process). */
    private static final Map<String, Map<String, String>> OUTPUTS = new ConcurrentHashMap<>();

    record Run(Map<String, String> duplicates, long comparisons, long links) {}

    static final class Collect extends DoFn<KV<String, String>, Void> {
        private final String run;

        Collect(String run) {
            this.run = run;
        }

        @ProcessElement
        public void process(@Element KV<String, String> kv) {
            OUTPUTS.get(run).put(kv.getKey(), kv.getValue());
        }
    }

    /** Runs the transform on each set of signatures, side by side in one pipeline, each as its own step. */
    static List<Run> search(List<Map<String, long[]>> sets) {
        Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < sets.size(); i++) {
            List<ClipResult> clips = new ArrayList<>();
            for (var e : sets.get(i).entrySet())
                clips.add(new ClipResult(e.getKey(), "src.mp4", 0, 5, 64, 64, 24, 120, null,
                        new ClipSignals(1, 100, 0.5, 0, 0, 1, 0, 0, e.getValue(), new float[64])));
            String run = UUID.randomUUID().toString();
            OUTPUTS.put(run, new ConcurrentHashMap<>());
            runs.add(run);
            p.apply("Clips" + i, Create.of(clips).withCoder(SerializableCoder.of(ClipResult.class)))
                    .apply("Search" + i, new NearDuplicateSearch(NearDuplicates.DEFAULT_MAX_DISTANCE))
                    .apply("Collect" + i, ParDo.of(new Collect(run)));
        }
        PipelineResult result = p.run();
        assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
        List<Run> out = new ArrayList<>();
        for (int i = 0; i < sets.size(); i++)
            out.add(new Run(OUTPUTS.remove(runs.get(i)), counter(result, "Search" + i, NearDuplicateSearch.COMPARISONS),
                    counter(result, "Search" + i, NearDuplicateSearch.LINKS)));
        return out;
    }

    private static long counter(PipelineResult result, String step, String name) {
        long total = 0;
        for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder().addStep(step)
                .addNameFilter(MetricNameFilter.named(NearDuplicateSearch.NAMESPACE, name)).build()).getCounters())
            total += c.getAttempted();
        return total;
    }

    /** A source that keeps coming back to a few pictures: a still, a loop, a talking head. */
    static Map<String, long[]> repeating(int clips, long seed) {
        Random r = new Random(seed);
        long[][] pictures = new long[5][];
        for (int i = 0; i < pictures.length; i++) pictures[i] = new long[]{r.nextLong(), r.nextLong(), r.nextLong()};
        Map<String, long[]> out = new HashMap<>();
        for (int i = 0; i < clips; i++) {
            long[] s = pictures[r.nextInt(pictures.length)].clone();
            for (int k = r.nextInt(5); k > 0; k--) {
                int bit = r.nextInt(192);
                s[bit / 64] ^= 1L << (bit % 64);
            }
            out.put(String.format("src-%07d", i * 5000), s);
        }
        return out;
    }

    private static Map<String, String> nonRoots(Map<String, String> groups) {
        Map<String, String> out = new java.util.TreeMap<>(groups);
        out.entrySet().removeIf(e -> e.getKey().equals(e.getValue()));
        return out;
    }

    @Test
    void findsTheSameGroupsAsTheInMemorySearchWithWorkLinearInTheClips() {
        List<Run> runs = search(List.of(repeating(150, 3), repeating(600, 3)));
        Run small = runs.get(0), large = runs.get(1);
        // The search names every grouped clip's group (its root included); the in-memory search, each non-root's root.
        assertEquals(NearDuplicates.find(repeating(150, 3), NearDuplicates.DEFAULT_MAX_DISTANCE), nonRoots(small.duplicates()));
        assertEquals(NearDuplicates.find(repeating(600, 3), NearDuplicates.DEFAULT_MAX_DISTANCE), nonRoots(large.duplicates()));
        // Five pictures: every clip is in one of five groups.
        assertEquals(600, large.duplicates().size());
        assertEquals(5, new java.util.HashSet<>(large.duplicates().values()).size());
        double growth = (double) large.comparisons() / small.comparisons();
        System.out.printf("4x the clips: comparisons %d -> %d (x%.2f), links %d -> %d%n", small.comparisons(),
                large.comparisons(), growth, small.links(), large.links());
        // All pairs would be x16 here; one comparison per clip and band is x4.
        assertTrue(growth < 4 * 1.25, "comparisons grew x" + growth);
        assertTrue(large.links() <= 2L * NearDuplicates.BANDS * 600, "links " + large.links());
    }
}
