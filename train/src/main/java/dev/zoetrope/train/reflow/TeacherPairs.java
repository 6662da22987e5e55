package dev.zoetrope.train.reflow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.LatentSampler;
import dev.zoetrope.models.sampling.FlowSampler;
import dev.zoetrope.train.shards.ClipRecord;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.train.shards.ShardWriter;
import dev.zoetrope.train.synth.Captioner;
import dev.zoetrope.train.synth.SynthSpec;

/**
 * The reflow couplings: for pair i, a training caption and a seed; the teacher's noise for that seed and the latent its
 * full sampler (its default steps, shift and guidance) makes from it, as {@code zoetrope generate --seed} would
 * ({@link LatentSampler}; the caller pins the attention kernel, so every run makes the same pairs). Stored in shards
 * as {@code noise} and {@code latents} (DiT space, C×T×H×W float32) with the caption, and the seed as the
 * {@code seed} signal, so any pair can be regenerated alone. Pairs already in the shards are skipped: an interrupted
 * stage continues where it stopped.
 */
public final class TeacherPairs {
    /** The shard tensor holding a pair's starting noise. */
    public static final String NOISE = "noise";
    /** The caption source that means "the synthetic world's training captions". */
    public static final String SYNTH = "synth";

    /**
     * @param count         how many pairs
     * @param captions      {@value #SYNTH}, a directory of shards (their captions) or a text file (one caption a line)
     * @param phrasings     with {@value #SYNTH}: how many captions in free language (the training grammar,
     *                      {@link Captioner}) each seen combination and background adds to its template captions, for a
     *                      teacher trained on them; 0 for templates only
     * @param seed          the seed the pairs' captions order and noise seeds derive from
     * @param clipsPerShard pairs per shard: an interruption loses at most the open shard's
     */
    public record Options(int count, String captions, int phrasings, long seed, int clipsPerShard) {
        public Options {
            if (count < 1) throw new IllegalArgumentException("pairs.count must be ≥ 1, got " + count);
            if (clipsPerShard < 1) throw new IllegalArgumentException("pairs.clips_per_shard must be ≥ 1, got " + clipsPerShard);
            if (captions == null || captions.isBlank()) captions = SYNTH;
            if (phrasings < 0) throw new IllegalArgumentException("pairs.phrasings must be ≥ 0, got " + phrasings);
            if (phrasings > 0 && !captions.equals(SYNTH))
                throw new IllegalArgumentException("pairs.phrasings draws from the synthetic world's grammar: it needs pairs.captions \"" + SYNTH + "\"");
        }
    }

    private TeacherPairs() {}

    public static String pairId(int index) {
        return String.format(Locale.ROOT, "pair-%06d", index);
    }

    /** Pair {@code index}'s noise seed: non-negative 31-bit, so {@code generate --seed} takes it as it is. */
    public static long seed(long seed, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xD1B54A32D192ED03L + 0x2545F4914F6CDD1DL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & 0x7fff_ffffL;
    }

    /**
     * The captions pairs are drawn from. {@value #SYNTH}: every caption the synthetic world's training split can write
     * (seen combinations × backgrounds × templates), the distribution the teacher was trained on; the held-out
     * combinations never appear, as they never did in the teacher's training. Otherwise the distinct captions of a shard
     * directory or the lines of a text file, where a caption naming a held-out combination is refused.
     */
    public static List<String> captions(String source) {
        return captions(source, 0, 0);
    }

    /**
     * {@link #captions(String)}, and with {@value #SYNTH} {@code phrasings} more per seen combination and background
     * drawn from the training grammar (never a held-out word or template) in a stream of {@code seed}; a phrasing that
     * repeats a caption already listed is kept once.
     */
    public static List<String> captions(String source, int phrasings, long seed) {
        if (source.equals(SYNTH)) {
            LinkedHashSet<String> out = new LinkedHashSet<>();
            for (SynthSpec.Combination c : SynthSpec.seenCombinations())
                for (int bg = 0; bg < SynthSpec.BACKGROUNDS.size(); bg++)
                    for (int t = 0; t < SynthSpec.TEMPLATES.size(); t++) out.add(SynthSpec.caption(t, c, bg));
            SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1); // not assign's stream
            for (SynthSpec.Combination c : SynthSpec.seenCombinations())
                for (int bg = 0; bg < SynthSpec.BACKGROUNDS.size(); bg++)
                    for (int i = 0; i < phrasings; i++) out.add(Captioner.caption(c, bg, Captioner.Phrasing.TRAINING, rnd));
            return List.copyOf(out);
        }
        Path p = Path.of(source);
        LinkedHashSet<String> found = new LinkedHashSet<>();
        if (Files.isDirectory(p)) {
            try (ShardReader r = ShardReader.open(p)) {
                for (ClipRecord c : r.records()) if (!c.caption().isBlank()) found.add(c.caption().strip());
            }
        } else if (Files.isRegularFile(p)) {
            try {
                for (String line : Files.readAllLines(p)) if (!line.isBlank()) found.add(line.strip());
            } catch (IOException e) {
                throw new InvalidRequestException("pairs.captions: cannot read " + p + ": " + e.getMessage(), e);
            }
        } else {
            throw new InvalidRequestException("pairs.captions '" + source + "' is neither \"" + SYNTH + "\", a shard directory nor a text file");
        }
        if (found.isEmpty()) throw new InvalidRequestException("pairs.captions: " + p + " holds no captions");
        for (String c : found)
            if (SynthSpec.parse(c).map(x -> x.combination().heldOut()).orElse(false))
                throw new InvalidRequestException("pairs.captions: '" + c + "' names a held-out combination, which training never sees");
        return List.copyOf(found);
    }

    /**
     * The caption of each pair: the captions in a seeded order, repeated, so every caption gets ⌊count/n⌋ or one more
     * pairs. A larger count keeps the first pairs' captions, so a stage can be extended.
     */
    public static List<String> assign(List<String> captions, int count, long seed) {
        List<String> order = new ArrayList<>(captions);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = order.size() - 1; i > 0; i--) java.util.Collections.swap(order, i, rnd.nextInt(i + 1));
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(order.get(i % order.size()));
        return out;
    }

    /**
     * Checks that the pairs already stored at {@code out} are the ones these options make (same caption, same seed), so
     * a resumed stage never mixes two settings; returns how many of this run's pairs are there.
     */
    private static int checkStored(Path out, List<String> captions, Options o) {
        if (!Files.isDirectory(out)) return 0;
        int done = 0;
        try (ShardReader r = ShardReader.open(out)) {
            for (ClipRecord c : r.records()) {
                int i = c.clipId().startsWith("pair-") ? Integer.parseInt(c.clipId().substring(5)) : -1;
                Double seed = c.signals().get("seed");
                if (i < 0 || i >= o.count() || !c.caption().equals(captions.get(i)) || seed == null || seed != seed(o.seed(), i))
                    throw new InvalidRequestException(out + " holds " + c.clipId() + " (\"" + c.caption() + "\", seed " + seed
                            + "), which these pair settings do not make; use a new work directory or the settings that made it");
                done++;
            }
        }
        return done;
    }

    /** Samples every pair the shards at {@code out} do not hold yet. Returns the seconds spent per new pair (NaN if none). */
    public static double write(LatentSampler teacher, Options o, Path out) throws IOException {
        List<String> captions = assign(captions(o.captions(), o.phrasings(), o.seed()), o.count(), o.seed());
        int made = 0;
        long t0 = System.nanoTime();
        try (ShardWriter writer = ShardWriter.open(out, o.clipsPerShard());
             ProgressBar bar = new ProgressBar("pairs", o.count(), "pair")) {
            int done = checkStored(out, captions, o);
            bar.stepTo(done);
            for (int i = 0; i < o.count(); i++) {
                if (writer.contains(pairId(i))) continue;
                long seed = seed(o.seed(), i);
                try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
                    LatentSampler.Sample s = teacher.sample(new GenerationRequest(captions.get(i), null, null, null, seed, null, null),
                            FlowSampler.StepListener.NONE);
                    Tensor noise = Ops.toHost(s.noise()).select(0, 0), latent = Ops.toHost(s.latent()).select(0, 0);
                    ClipRecord record = ClipRecord.of(pairId(i), s.plan().prompt(), "teacher", 0, s.plan().seconds(), s.plan().fps(),
                            s.plan().width(), s.plan().height(), s.plan().frames(), Map.of("seed", (double) seed));
                    writer.add(record, List.of(
                            ShardTensor.f32(NOISE, Tensors.shape(noise), Tensors.toFloats(noise)),
                            ShardTensor.f32(ShardTensor.LATENTS, Tensors.shape(latent), Tensors.toFloats(latent))));
                }
                made++;
                bar.stepTo(++done);
            }
        }
        return made == 0 ? Double.NaN : (System.nanoTime() - t0) / 1e9 / made;
    }
}
