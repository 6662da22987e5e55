package dev.zoetrope.train.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import dev.zoetrope.train.synth.Captioner;
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

    /** The 12 held-out combinations and a seeded sample of {@code seenSample} seen ones, on the trained backgrounds. */
    public static AdherencePlan of(int k, int seenSample, long seed) {
        return of(k, seenSample, seed, false);
    }

    /**
     * {@link #of(int, int, long)}, and with {@code heldOutPhrasings} the held-out combinations once more in held-out
     * phrasings ({@link Captioner.Phrasing#HELD_OUT}: templates and words no training caption has), one seeded phrasing per
     * prompt. Their clips have the seeds of the same combinations' canonical prompts, so the two differ in wording only.
     */
    public static AdherencePlan of(int k, int seenSample, long seed, boolean heldOutPhrasings) {
        AdherencePlan plan = of(heldOutAndSample(SynthSpec.combinations(), seenSample, seed), k, seenSample, seed);
        if (!heldOutPhrasings) return plan;
        List<AdherencePrompt> prompts = new ArrayList<>(plan.prompts());
        List<EvalClip> clips = new ArrayList<>(plan.clips());
        for (AdherencePrompt p : plan.prompts()) {
            if (!p.heldOut()) continue;
            AdherencePrompt worded = new AdherencePrompt(p.combination(), p.background(), heldOutPhrasing(seed, p));
            prompts.add(worded);
            for (int r = 0; r < k; r++) clips.add(new EvalClip(worded, r, clipSeed(seed, p, r)));
        }
        return new AdherencePlan(prompts, clips, k, seenSample, seed);
    }

    /**
     * Prompts people wrote ({@link AdherencePrompt#isWritten}), {@code k} clips each. A clip's seed is that of the canonical
     * prompt of the same scene, so a written prompt and the template differ in wording only.
     */
    public static AdherencePlan written(List<AdherencePrompt> prompts, int k, long seed) {
        if (k < 1) throw new IllegalArgumentException("k (clips per prompt) must be at least 1, got " + k);
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts to evaluate");
        List<EvalClip> clips = new ArrayList<>();
        for (AdherencePrompt p : prompts) {
            if (!p.isWritten()) throw new IllegalArgumentException("not a written prompt: " + p);
            for (int r = 0; r < k; r++) clips.add(new EvalClip(p, r, clipSeed(seed, p, r)));
        }
        return new AdherencePlan(prompts, clips, k, 0, seed);
    }

    /**
     * The prompts of a file people write: one per line, {@code SCENE | PROMPT}, where SCENE is what the clip must show in
     * one of the synthetic world's templates ({@code a red square moving up on a gray background}) and PROMPT any wording
     * of it. Blank lines and lines starting with {@code #} are skipped; {@code source} names the file in errors.
     */
    public static List<AdherencePrompt> parseWritten(List<String> lines, String source) {
        List<AdherencePrompt> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            int bar = line.indexOf('|');
            String where = source + " line " + (i + 1);
            if (bar < 0) throw new IllegalArgumentException(where + ": want SCENE | PROMPT, e.g. 'a red square moving up on a gray "
                    + "background | a crimson box climbing over a slate backdrop'");
            String scene = line.substring(0, bar).strip(), prompt = line.substring(bar + 1).strip();
            if (prompt.isEmpty()) throw new IllegalArgumentException(where + ": the prompt after '|' is empty");
            if (prompt.length() > 500) throw new IllegalArgumentException(where + ": the prompt has " + prompt.length()
                    + " characters; at most 500");
            // the world's template writes "a orange"; people write "an orange"
            SynthSpec.Parsed parsed = SynthSpec.parse(scene.replaceFirst("^(?i)an ", "a ")).orElseThrow(() -> new IllegalArgumentException(where + ": '" + scene
                    + "' is not a scene of the synthetic world; write it as 'a {color} {shape} moving {direction} on a {background} "
                    + "background'"));
            if (!SynthSpec.visible(parsed.combination(), parsed.background()))
                throw new IllegalArgumentException(where + ": '" + scene + "' cannot be seen: the object has the background's colour");
            out.add(new AdherencePrompt(parsed.combination(), parsed.background(), prompt, i + 1));
        }
        if (out.isEmpty()) throw new IllegalArgumentException(source + ": no prompts (every line blank or a # comment)");
        return out;
    }

    /** The held-out phrasing of {@code p}'s combination and background: a function of (run seed, combination, background). */
    static String heldOutPhrasing(long seed, AdherencePrompt p) {
        return Captioner.caption(p.combination(), p.background(), Captioner.Phrasing.HELD_OUT,
                new SplittableRandom(mix(seed, clipSeed(seed, p, 0) ^ 0x9A7A5EL)));
    }

    /**
     * What a LoRA that teaches {@code novelty} made of it, {@code k} clips per prompt, as the splits {@code novel…} (the
     * combinations it was shown) and {@code novel…-heldout} (those the held-out rule kept out of its lesson):
     * <ul>
     * <li>colour: every combination of the novel colours ({@link SynthSpec#novelCombinations}) on every background
     * ({@code seenSample} is ignored: there are only 12);</li>
     * <li>background: the held-out combinations and {@code seenSample} seen ones on the novel backgrounds, white objects
     * left out;</li>
     * <li>motion: the 12 held-out diagonal combinations ({@link SynthSpec#novelMotionCombinations}) and a seeded sample of
     * {@code seenSample} taught ones, on every background.</li>
     * </ul>
     */
    public static AdherencePlan novel(SynthSpec.Novelty novelty, int k, int seenSample, long seed) {
        List<Integer> trained = backgrounds(0, SynthSpec.BACKGROUNDS.size());
        return switch (novelty) {
            case COLOR -> of(SynthSpec.novelCombinations(), trained, k, 0, seed);
            case BACKGROUND -> of(heldOutAndSample(SynthSpec.combinations(), seenSample, seed),
                    backgrounds(SynthSpec.BACKGROUNDS.size(), SynthSpec.BACKGROUND_PALETTE.size()), k, seenSample, seed);
            case MOTION -> of(heldOutAndSample(SynthSpec.novelMotionCombinations(), seenSample, seed), trained, k, seenSample, seed);
        };
    }

    /** The held-out combinations of {@code pool}, then the first {@code seenSample} of its others in a seeded order. */
    private static List<Combination> heldOutAndSample(List<Combination> pool, int seenSample, long seed) {
        List<Combination> others = pool.stream().filter(c -> !c.heldOut()).toList();
        if (seenSample < 0 || seenSample > others.size())
            throw new IllegalArgumentException("seen sample must be within 0.." + others.size() + ", got " + seenSample);
        List<Combination> combos = new ArrayList<>(pool.stream().filter(Combination::heldOut).toList());
        combos.addAll(shuffled(others, seed).subList(0, seenSample));
        return combos;
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

    /** {@code pool} in a seeded (Fisher–Yates) order; a sample of M is its first M. */
    private static List<Combination> shuffled(List<Combination> pool, long seed) {
        List<Combination> seen = new ArrayList<>(pool);
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

    /** Whether its prompts name a novel colour, background or motion ({@link #novel}). */
    public boolean novel() {
        return novelty().isPresent();
    }

    /** What its prompts name that the shipped models never saw, if anything. */
    public java.util.Optional<SynthSpec.Novelty> novelty() {
        return prompts.stream().flatMap(p -> p.novelty().stream()).findFirst();
    }

    public long heldOutPrompts() {
        return prompts.stream().filter(p -> p.heldOut() && p.phrasing() == null).count();
    }

    /** Whether its prompts are people's ({@link #written}). */
    public boolean written() {
        return prompts.stream().anyMatch(AdherencePrompt::isWritten);
    }

    /** Prompts in held-out phrasings (none unless asked for). */
    public long heldOutPhrasingPrompts() {
        return prompts.stream().filter(AdherencePrompt::heldOutPhrasing).count();
    }
}
