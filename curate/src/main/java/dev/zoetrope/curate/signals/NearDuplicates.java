package dev.zoetrope.curate.signals;

import java.io.Serializable;
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
 * {@link #BANDS} agree on at least one band, so every pair within a threshold of up to 15 is found.
 *
 * <p>Duplicates are grouped transitively (single linkage); each group keeps its smallest clip id and the others point
 * to it. A bucket is therefore not asked for its pairs but for its groups ({@link #linkBucket}): a clip is compared
 * with the groups formed so far, not with every earlier clip, and the bucket answers with at most one link per member
 * and merge. How that keeps the work near-linear is explained there.
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

    /**
     * What one bucket contributes: links (id pairs) whose transitive closure joins exactly the members that the
     * all-pairs comparison within the bucket would join, and the number of signature comparisons it took.
     */
    public record BucketLinks(List<String[]> links, long comparisons) {}

    /** Members of one bucket already found linked, with the ball (anchor, radius) that holds all their signatures. */
    private static final class Group {
        final long[] anchor;
        final List<long[]> members = new ArrayList<>();
        final String first;
        int radius;

        Group(String id, long[] signature) {
            anchor = signature;
            first = id;
            members.add(signature);
        }
    }

    /**
     * Links the members of one bucket (in the given order; callers sort by id so the result is reproducible) into the
     * groups of the single-linkage graph "distance ≤ {@code maxDistance}" restricted to the bucket.
     *
     * <p>Why this is near-linear: each new member is checked against the bucket's groups, not its members. A group is
     * kept as an anchor signature and a radius (the largest distance of a member from the anchor). One comparison with
     * the anchor settles the group when the member is within {@code maxDistance} of it (a link) or farther than
     * {@code maxDistance + radius} (by the triangle inequality no member can be close); only a member in the rim
     * between is compared with the group's members, newest first, until one is close. So a member costs about one
     * comparison per group in its bucket. Repetitive sources (a still frame, a loop, a static shot) make few tight
     * groups however many clips they yield, so their cost grows linearly with the clip count where all pairs grew with
     * its square; evenly spread signatures make buckets of n / 4096 members, as before. The links are at most one per
     * member plus one per merge, so what leaves a bucket is linear in its size too.
     *
     * <p>Exactness: a member is compared with every earlier member that is not yet in a group it joined, or is
     * excluded by the triangle inequality, so every within-threshold pair ends up in one group, and groups are joined
     * only through such pairs: the links' closure is exactly the all-pairs grouping.
     */
    public static BucketLinks linkBucket(List<Map.Entry<String, long[]>> members, int maxDistance) {
        List<Group> groups = new ArrayList<>();
        List<String[]> links = new ArrayList<>();
        long comparisons = 0;
        for (Map.Entry<String, long[]> m : members) {
            String id = m.getKey();
            long[] sig = m.getValue();
            Group joined = null;
            for (var it = groups.iterator(); it.hasNext(); ) {
                Group g = it.next();
                int toAnchor = distance(sig, g.anchor);
                comparisons++;
                boolean close = toAnchor <= maxDistance;
                if (!close && toAnchor <= maxDistance + g.radius) {
                    for (int i = g.members.size() - 1; i >= 1 && !close; i--) {
                        comparisons++;
                        close = distance(sig, g.members.get(i)) <= maxDistance;
                    }
                }
                if (!close) continue;
                links.add(new String[]{id, g.first});
                if (joined == null) {
                    joined = g;
                    g.members.add(sig);
                    g.radius = Math.max(g.radius, toAnchor);
                } else {
                    // The member bridges two groups: fold the later one into the one it joined first.
                    joined.members.addAll(g.members);
                    joined.radius = Math.max(joined.radius, distance(joined.anchor, g.anchor) + g.radius);
                    comparisons++;
                    it.remove();
                }
            }
            if (joined == null) groups.add(new Group(id, sig));
        }
        return new BucketLinks(links, comparisons);
    }

    /**
     * Union-find over clip ids, fed with links in any order and merged across workers; the root of a group is its
     * smallest id, so the kept clip does not depend on the order links arrive in. Holds one entry per linked clip.
     */
    public static final class Forest implements Serializable {
        private final HashMap<String, String> parent = new HashMap<>();

        public void link(String a, String b) {
            parent.putIfAbsent(a, a);
            parent.putIfAbsent(b, b);
            String ra = root(a), rb = root(b);
            if (ra.equals(rb)) return;
            if (ra.compareTo(rb) < 0) parent.put(rb, ra);
            else parent.put(ra, rb);
        }

        /** Adds every link of {@code other}. */
        public void addAll(Forest other) {
            for (var e : other.parent.entrySet()) link(e.getKey(), e.getValue());
        }

        /** id → its group's id (the root of its tree), for every linked id, roots included. */
        public Map<String, String> groups() {
            Map<String, String> out = new TreeMap<>();
            for (String id : parent.keySet()) out.put(id, root(id));
            return out;
        }

        /** id → the group's kept id, for every linked id that is not kept. */
        public Map<String, String> duplicates() {
            Map<String, String> out = new TreeMap<>();
            for (String id : parent.keySet()) {
                String root = root(id);
                if (!root.equals(id)) out.put(id, root);
            }
            return out;
        }

        /**
         * Equal when both group the same ids under the same kept ids, whatever order the links came in (Beam compares
         * combined values by it).
         */
        @Override
        public boolean equals(Object o) {
            return o instanceof Forest f && parent.keySet().equals(f.parent.keySet()) && duplicates().equals(f.duplicates());
        }

        @Override
        public int hashCode() {
            return parent.keySet().hashCode();
        }

        private String root(String x) {
            String r = x;
            for (String p; !(p = parent.getOrDefault(r, r)).equals(r); ) r = p;
            // Path compression, iteratively: a long chain must not cost stack depth.
            for (String p; !(p = parent.getOrDefault(x, x)).equals(r) && !p.equals(x); x = p) parent.put(x, r);
            return r;
        }
    }

    /** Groups linked ids; returns id → the group's kept id, for every id that is not kept. */
    public static Map<String, String> resolve(Iterable<String[]> links) {
        Forest f = new Forest();
        for (String[] p : links) f.link(p[0], p[1]);
        return f.duplicates();
    }

    /** All-in-memory convenience: clip id → signature, to id → kept id. */
    public static Map<String, String> find(Map<String, long[]> signatures, int maxDistance) {
        Map<Integer, List<Map.Entry<String, long[]>>> buckets = new HashMap<>();
        for (var e : new TreeMap<>(signatures).entrySet())
            for (int k : bandKeys(e.getValue())) buckets.computeIfAbsent(k, x -> new ArrayList<>()).add(e);
        Forest f = new Forest();
        for (var b : buckets.values())
            if (b.size() > 1) for (String[] l : linkBucket(b, maxDistance).links()) f.link(l[0], l[1]);
        return f.duplicates();
    }
}
