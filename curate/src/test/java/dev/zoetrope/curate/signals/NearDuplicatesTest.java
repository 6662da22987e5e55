package dev.zoetrope.curate.signals;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/**
 * Grouping by per-bucket groups must give exactly what comparing every pair in every bucket gave, for any mix of
 * repeats, noisy copies, drifting chains and unrelated clips, while doing work linear in the clip count on repetitive
 * inputs.
 */
public class NearDuplicatesTest {
    /** The previous method, kept here as the reference: every pair of every bucket, then union-find. */
    public static Map<String, String> allPairs(Map<String, long[]> signatures, int maxDistance, long[] pairCount) {
        Map<Integer, List<Map.Entry<String, long[]>>> buckets = new HashMap<>();
        for (var e : new TreeMap<>(signatures).entrySet())
            for (int k : NearDuplicates.bandKeys(e.getValue())) buckets.computeIfAbsent(k, x -> new ArrayList<>()).add(e);
        List<String[]> pairs = new ArrayList<>();
        for (var b : buckets.values())
            for (int i = 0; i < b.size(); i++)
                for (int j = i + 1; j < b.size(); j++)
                    if (NearDuplicates.distance(b.get(i).getValue(), b.get(j).getValue()) <= maxDistance)
                        pairs.add(new String[]{b.get(i).getKey(), b.get(j).getKey()});
        if (pairCount != null) pairCount[0] = pairs.size();
        return NearDuplicates.resolve(pairs);
    }

    static long[] random(Random r) {
        return new long[]{r.nextLong(), r.nextLong(), r.nextLong()};
    }

    static long[] flip(long[] s, int bits, Random r) {
        long[] out = s.clone();
        for (int i = 0; i < bits; i++) {
            int bit = r.nextInt(192);
            out[bit / 64] ^= 1L << (bit % 64);
        }
        return out;
    }

    /** {@code n} clips from {@code scenes} recurring pictures, each copy with up to {@code noise} flipped bits. */
    static Map<String, long[]> repetitive(int n, int scenes, int noise, long seed) {
        Random r = new Random(seed);
        List<long[]> bases = new ArrayList<>();
        for (int i = 0; i < scenes; i++) bases.add(random(r));
        Map<String, long[]> out = new HashMap<>();
        for (int i = 0; i < n; i++)
            out.put(String.format("c%06d", r.nextInt(1_000_000)) + "-" + i, flip(bases.get(r.nextInt(scenes)), r.nextInt(noise + 1), r));
        return out;
    }

    @Test
    void groupsAreExactlyThoseOfComparingAllPairsInEachBucket() {
        for (long seed = 1; seed <= 12; seed++) {
            Random r = new Random(seed);
            Map<String, long[]> s = new HashMap<>();
            int id = 0;
            // Noisy copies around a few pictures, at distances straddling the threshold.
            for (int scene = 0; scene < 4; scene++) {
                long[] base = random(r);
                for (int k = 0; k < 30; k++) s.put("n" + (id++), flip(base, r.nextInt(22), r));
            }
            // A drifting chain: neighbours are close, its ends far apart (single linkage joins it through the middle).
            long[] walk = random(r);
            for (int k = 0; k < 60; k++) s.put("w" + (id++), walk = flip(walk, 1 + r.nextInt(6), r));
            // Exact repeats and unrelated clips.
            long[] still = random(r);
            for (int k = 0; k < 25; k++) s.put("s" + (id++), still.clone());
            for (int k = 0; k < 40; k++) s.put("u" + (id++), random(r));
            for (int d : new int[]{0, 3, 9, 14, 15}) {
                Map<String, String> expected = allPairs(s, d, null);
                assertEquals(expected, NearDuplicates.find(s, d), "seed " + seed + ", distance " + d);
                if (d == 14) assertTrue(expected.size() > 100, "the case must have duplicates: " + expected.size());
            }
        }
    }

    @Test
    void aStillSourceCostsOneComparisonPerClipAndBand() {
        List<Map.Entry<String, long[]>> bucket = new ArrayList<>();
        long[] black = {0, 0, 0};
        for (int i = 0; i < 1440; i++) bucket.add(Map.entry(String.format("b-%05d", i), black));
        NearDuplicates.BucketLinks b = NearDuplicates.linkBucket(bucket, 14);
        assertEquals(1439, b.comparisons());
        assertEquals(1439, b.links().size());
        assertEquals(1439, NearDuplicates.resolve(b.links()).size());
        assertEquals("b-00000", NearDuplicates.resolve(b.links()).get("b-01439"));
    }

    /** Total comparisons and links over all buckets, as the pipeline's Link step would do them. */
    static long[] work(Map<String, long[]> signatures, int maxDistance) {
        Map<Integer, List<Map.Entry<String, long[]>>> buckets = new HashMap<>();
        for (var e : new TreeMap<>(signatures).entrySet())
            for (int k : NearDuplicates.bandKeys(e.getValue())) buckets.computeIfAbsent(k, x -> new ArrayList<>()).add(e);
        long comparisons = 0, links = 0;
        for (var b : buckets.values()) {
            NearDuplicates.BucketLinks l = NearDuplicates.linkBucket(b, maxDistance);
            comparisons += l.comparisons();
            links += l.links().size();
        }
        return new long[]{comparisons, links};
    }

    @Test
    void workOnRepetitiveSourcesGrowsLinearlyWhereAllPairsGrewQuadratically() {
        int[] sizes = {250, 500, 1000, 2000};
        long[] comparisons = new long[sizes.length], pairs = new long[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            Map<String, long[]> s = repetitive(sizes[i], 6, 6, 7);
            long[] w = work(s, 14);
            long[] p = new long[1];
            assertEquals(allPairs(s, 14, p), NearDuplicates.find(s, 14));
            comparisons[i] = w[0];
            pairs[i] = p[0];
            // What leaves the buckets is bounded by the clips, not by their pairs.
            assertTrue(w[1] <= 2L * NearDuplicates.BANDS * sizes[i], "links " + w[1] + " for " + sizes[i] + " clips");
            assertTrue(w[0] <= 4L * NearDuplicates.BANDS * sizes[i], "comparisons " + w[0] + " for " + sizes[i] + " clips");
        }
        double growth = (double) comparisons[3] / comparisons[0], pairGrowth = (double) pairs[3] / pairs[0];
        System.out.printf("8x the clips: comparisons x%.1f (%d -> %d), all-pairs method's pairs x%.1f (%d -> %d)%n",
                growth, comparisons[0], comparisons[3], pairGrowth, pairs[0], pairs[3]);
        assertTrue(growth < 8 * 1.25, "comparisons grew x" + growth + " for 8x the clips");
        assertTrue(pairGrowth > 8 * 6, "the reference must be quadratic here, or the test shows nothing: x" + pairGrowth);
    }

    @Test
    void forestsAreEqualWhenTheyGroupAlike() {
        NearDuplicates.Forest a = new NearDuplicates.Forest(), b = new NearDuplicates.Forest(), c = new NearDuplicates.Forest();
        a.link("x", "y");
        a.link("y", "z");
        b.link("z", "x");
        b.link("y", "z");
        c.link("x", "y");
        c.link("w", "z");
        assertEquals(a, b, "the same group, linked in another order");
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, c);
        b.link("q", "r");
        assertNotEquals(a, b);
    }
}
