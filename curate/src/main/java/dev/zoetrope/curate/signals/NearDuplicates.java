package dev.zoetrope.curate.signals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Near-duplicate clips by perceptual hashes with locality-sensitive banding. A clip's three keyframe hashes form a
 * 192-bit signature; two clips are near-duplicates when the Hamming distance of their signatures is at most
 * {@code maxDistance}. Instead of comparing all pairs, the signature is cut into {@link #BANDS} bands of 12 bits and
 * only clips sharing a band value are compared. By the pigeonhole principle two signatures at distance below
 * {@link #BANDS} agree on at least one band, so every pair within a threshold of up to 15 is found. With evenly spread
 * signatures a bucket holds n / 4096 clips: for a million clips about 16 × 4096 buckets of ~250, some 2·10⁹ cheap
 * XOR-popcount comparisons, spread over workers by bucket.
 *
 * <p>Duplicates are grouped transitively; each group keeps its smallest clip id and the others point to it.
 */
public final class NearDuplicates {
    public static final int BANDS = 16;
    public static final int BAND_BITS = 12;
    public static final int DEFAULT_MAX_DISTANCE = 14;

    private NearDuplicates() {}

    /** The band keys of a signature: band index in the high bits, the 12-bit band value in the low bits. */
    public static int[] bandKeys(long[] hashes) {
        int[] keys = new int[BANDS];
        for (int b = 0; b < BANDS; b++) {
            int value = 0;
            for (int i = 0; i < BAND_BITS; i++) {
                int bit = b * BAND_BITS + i;
                if ((hashes[bit / 64] >>> (bit % 64) & 1) != 0) value |= 1 << i;
            }
            keys[b] = (b << 16) | value;
        }
        return keys;
    }

    public static int distance(long[] a, long[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) d += Long.bitCount(a[i] ^ b[i]);
        return d;
    }

    /** Pairs (as id arrays) within {@code maxDistance} among clips that share a bucket. */
    public static List<String[]> pairsInBucket(List<Map.Entry<String, long[]>> bucket, int maxDistance) {
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < bucket.size(); i++)
            for (int j = i + 1; j < bucket.size(); j++)
                if (distance(bucket.get(i).getValue(), bucket.get(j).getValue()) <= maxDistance)
                    out.add(new String[]{bucket.get(i).getKey(), bucket.get(j).getKey()});
        return out;
    }

    /** Groups linked ids; returns id → the group's kept id, for every id that is not kept. */
    public static Map<String, String> resolve(Iterable<String[]> pairs) {
        Map<String, String> parent = new HashMap<>();
        for (String[] p : pairs) union(parent, p[0], p[1]);
        Map<String, String> out = new TreeMap<>();
        for (String id : parent.keySet()) {
            String root = find(parent, id);
            if (!root.equals(id)) out.put(id, root);
        }
        return out;
    }

    /** All-in-memory convenience: clip id → signature, to id → kept id. */
    public static Map<String, String> find(Map<String, long[]> signatures, int maxDistance) {
        Map<Integer, List<Map.Entry<String, long[]>>> buckets = new HashMap<>();
        for (var e : new TreeMap<>(signatures).entrySet())
            for (int k : bandKeys(e.getValue())) buckets.computeIfAbsent(k, x -> new ArrayList<>()).add(e);
        List<String[]> pairs = new ArrayList<>();
        for (var b : buckets.values()) if (b.size() > 1) pairs.addAll(pairsInBucket(b, maxDistance));
        return resolve(pairs);
    }

    private static String find(Map<String, String> parent, String x) {
        String p = parent.getOrDefault(x, x);
        if (p.equals(x)) return x;
        String root = find(parent, p);
        parent.put(x, root);
        return root;
    }

    private static void union(Map<String, String> parent, String a, String b) {
        parent.putIfAbsent(a, a);
        parent.putIfAbsent(b, b);
        String ra = find(parent, a), rb = find(parent, b);
        if (ra.equals(rb)) return;
        // The smaller id becomes the root, so the kept clip does not depend on the order pairs arrive in.
        if (ra.compareTo(rb) < 0) parent.put(rb, ra);
        else parent.put(ra, rb);
    }
}
