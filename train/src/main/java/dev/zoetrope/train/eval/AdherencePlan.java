package dev.zoetrope.train.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthSpec.Combination;

/**
 * Which clips an adherence run generates: every held-out combination on every background, plus the first
 * {@code seenSample} seen combinations of a seeded shuffle (on every background), {@code k} clips each.
 *
 * <p>A clip's seed depends only on (run seed, combination, background, replica), not on {@code k} or
 * {@code seenSample}: a larger {@code k} or sample extends an earlier run's clips instead of replacing them.
 */
public record AdherencePlan(List<AdherencePrompt> prompts, List<EvalClip> clips, int k, int seenSample, long seed) {
    /** Clips per prompt unless told otherwise: two, so a lucky or unlucky seed weighs half. */
    public static final int DEFAULT_K = 2;
    /** Seen combinations sampled unless told otherwise: as many as there are held-out ones. */
    public static final int DEFAULT_SEEN_SAMPLE = 12;

    public AdherencePlan {
        prompts = List.copyOf(prompts);
        clips = List.copyOf(clips);
    }

    public static AdherencePlan of(int k, int seenSample, long seed) {
        int seenCount = SynthSpec.seenCombinations().size();
        if (seenSample < 0 || seenSample > seenCount)
            throw new IllegalArgumentException("seen sample must be within 0.." + seenCount + ", got " + seenSample);
        List<Combination> combos = new ArrayList<>(SynthSpec.heldOutCombinations());
        combos.addAll(seenSample(seed).subList(0, seenSample));
        return of(combos, k, seenSample, seed);
    }

    /**
     * Every combination of the novel colours ({@link SynthSpec#novelCombinations}) on every background, {@code k} clips
     * each: what a LoRA run taught ({@code novel}) and the combinations it held out of the lesson ({@code novel-heldout}).
     */
    public static AdherencePlan novel(int k, long seed) {
        return of(SynthSpec.novelCombinations(), backgrounds(0, SynthSpec.BACKGROUNDS.size()), k, 0, seed);
    }

    /**
     * The held-out combinations and {@code seenSample} seen ones (as {@link #of(int, int, long)}) on the backgrounds the
     * shipped models never saw (white), white objects left out: what a LoRA that teaches them ({@code novel-bg}) made of
     * combinations it was shown and of those it never was ({@code novel-bg-heldout}).
     */
    public static AdherencePlan novelBackground(int k, int seenSample, long seed) {
        List<Combination> combos = new ArrayList<>(SynthSpec.heldOutCombinations());
        combos.addAll(seenSample(seed).subList(0, seenSample));
        return of(combos, backgrounds(SynthSpec.BACKGROUNDS.size(), SynthSpec.BACKGROUND_PALETTE.size()), k, seenSample, seed);
    }

    private static List<Integer> backgrounds(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int b = from; b < to; b++) out.add(b);
        return out;
    }

    private static AdherencePlan of(List<Combination> combos, int k, int seenSample, long seed) {
        return of(combos, backgrounds(0, SynthSpec.BACKGROUNDS.size()), k, seenSample, seed);
    }

    private static AdherencePlan of(List<Combination> combos, List<Integer> backgrounds, int k, int seenSample, long seed) {
        if (k < 1) throw new IllegalArgumentException("k (clips per prompt) must be at least 1, got " + k);
        List<AdherencePrompt> prompts = new ArrayList<>();
        for (Combination c : combos)
            for (int b : backgrounds) if (SynthSpec.visible(c, b)) prompts.add(new AdherencePrompt(c, b));
        List<EvalClip> clips = new ArrayList<>();
        for (AdherencePrompt p : prompts)
            for (int r = 0; r < k; r++) clips.add(new EvalClip(p, r, clipSeed(seed, p, r)));
        return new AdherencePlan(prompts, clips, k, seenSample, seed);
    }

    /** The seen combinations in a seeded (Fisher–Yates) order; a sample of M is its first M. */
    static List<Combination> seenSample(long seed) {
        List<Combination> seen = new ArrayList<>(SynthSpec.seenCombinations());
        SplittableRandom rnd = new SplittableRandom(mix(seed, 0x5EE7));
        for (int i = seen.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            seen.set(j, seen.set(i, seen.get(j)));
        }
        return seen;
    }

    /** A non-negative 31-bit seed, easy to pass to {@code zoetrope generate --seed} when looking at one clip. */
    static long clipSeed(long seed, AdherencePrompt p, int replica) {
        Combination c = p.combination();
        long key = ((((long) c.color() * 8 + c.shape()) * 8 + c.direction()) * 8 + p.background()) * 1_000_003L + replica;
        return mix(seed, key) & 0x7fff_ffffL;
    }

    private static long mix(long seed, long key) {
        long z = seed * 0x9E3779B97F4A7C15L + key * 0xC2B2AE3D27D4EB4FL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Whether its prompts name the novel colours ({@link #novel}). */
    public boolean novel() {
        return prompts.stream().anyMatch(AdherencePrompt::novel);
    }

    public long heldOutPrompts() {
        return prompts.stream().filter(AdherencePrompt::heldOut).count();
    }
}
