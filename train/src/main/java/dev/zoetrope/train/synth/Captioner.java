package dev.zoetrope.train.synth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import dev.zoetrope.train.synth.SynthSpec.Combination;
import dev.zoetrope.train.synth.SynthSpec.Direction;
import dev.zoetrope.train.text.WordNet;
import dev.zoetrope.train.text.WordNet.Pos;

/**
 * Writes the synthetic world's captions in free language: a grammar with synonyms for every attribute (colours with
 * their variants, shapes, motion verbs and direction words, manner adverbs, prepositions, background words), articles
 * and numerals, optional filler and several word orders. Synonyms come from WordNet 3.1 where it has them (the sense
 * of each word is chosen here), the rest from short lists.
 *
 * <p>A part of the grammar is <b>held out</b>: the templates of {@link #HELD_OUT_TEMPLATES} and the words of
 * {@link #HELD_OUT_WORDS} never appear in a {@link Phrasing#TRAINING} caption, by construction (the lexicon's lists are
 * split before any caption is drawn). {@link Phrasing#HELD_OUT} captions use a held-out template, and each attribute a
 * held-out word with probability one half where it has one: they measure whether a model understands wordings it never
 * saw. The list is this class's, and docs/model-card.md repeats it.
 */
public final class Captioner {
    /** Which part of the grammar a caption is drawn from. */
    public enum Phrasing {
        /** What training captions use. */
        TRAINING,
        /** Held-out templates and words: never in training. */
        HELD_OUT
    }

    /** Words that name one thing, split into those training uses and those held out of it. */
    public record Words(List<String> training, List<String> heldOut) {
        public Words {
            training = List.copyOf(training);
            heldOut = List.copyOf(heldOut);
            if (training.isEmpty()) throw new IllegalArgumentException("a word list needs at least one training word");
        }

        static Words of(List<String> all) {
            List<String> train = all.stream().filter(w -> !HELD_OUT_WORDS.contains(w)).toList();
            List<String> held = all.stream().filter(HELD_OUT_WORDS::contains).toList();
            return new Words(train, held);
        }

        /**
         * A word for {@code phrasing}: a held-out one (when there is one) with probability one half; else the first, plain
         * word half the time (people mostly type it) and any training word the other half.
         */
        String draw(Phrasing phrasing, SplittableRandom rnd) {
            boolean held = phrasing == Phrasing.HELD_OUT && !heldOut.isEmpty() && rnd.nextBoolean();
            if (held) return heldOut.get(rnd.nextInt(heldOut.size()));
            int pick = rnd.nextInt(2 * training.size());
            return training.get(pick < training.size() ? 0 : pick - training.size());
        }

    }

    /** Words and phrases no training caption contains; held-out phrasings draw from them. */
    public static final Set<String> HELD_OUT_WORDS = Set.of(
            // colour variants (each shares a piece with a trained word: red, yellow, blue, white, black, grey)
            "reddish", "ruby-red", "yellowish", "blueish", "snow-white", "coal-black", "greyish",
            // the background
            "backcloth",
            // motion
            "glide", "come up", "uprise", "come down", "drop down",
            "upward", "downward", "leftwards", "rightwards", "towards the left", "towards the right", "towards the top",
            "towards the bottom", "steadily",
            // articles and filler
            "a lone", "an animation of", "here is");

    /** Training templates. Slots: {np} the object, {mv}/{ming} its motion (finite/participle), {bgp} the background phrase. */
    public static final List<String> TRAINING_TEMPLATES = List.of(
            "{np} {ming} {bgp}",
            "{np} {mv} {bgp}",
            "{filler} {np} {ming} {bgp}",
            "{bg} {bgnoun} with {np} {ming}",
            "{np} {prep} {det} {bg} {bgnoun}, {ming}",
            "{np} {mv} {bgp}, on screen",
            // the motion or the background first, as people also write, in orders the held-out templates do not use
            "{ming} {bgp}: {np}",
            "{ming} {bgp} is {np}",
            "{bgp}, {np} {mv}",
            "{np}, {ming}, {bgp}");
    /** Held-out templates: word orders and filler no training caption has. */
    public static final List<String> HELD_OUT_TEMPLATES = List.of(
            "{np} that is {ming} {bgp}",
            "{ming}, {np} {bgp}",
            "in this scene {np} {mv} {bgp}",
            "{bgp} there is {np} {ming}");

    private static final Words ARTICLES = Words.of(List.of("a", "one", "the", "a single", "a lone"));
    private static final Words FILLERS = Words.of(List.of("a video of", "there is", "we see", "footage of", "a clip of",
            "an animation of", "here is"));
    private static final Words PREPOSITIONS = Words.of(List.of("on", "over", "against", "across", "in front of"));
    private static final Words MANNER = Words.of(List.of("slowly", "smoothly", "steadily"));
    private static final List<Words> COLORS = List.of(
            Words.of(WordNet.synset(Pos.ADJ, "red", 0)),
            Words.of(WordNet.synset(Pos.ADJ, "orange", 0)),
            Words.of(WordNet.synset(Pos.ADJ, "yellow", 0)),
            Words.of(without(WordNet.synset(Pos.ADJ, "green", 0), "light-green", "dark-green")), // another shade
            Words.of(WordNet.synset(Pos.ADJ, "blue", 0)),
            Words.of(WordNet.synset(Pos.ADJ, "purple", 0)),
            Words.of(union(List.of("white"), WordNet.synset(Pos.ADJ, "snowy", 2))));
    private static final List<Words> BACKGROUNDS = List.of(
            Words.of(union(WordNet.synset(Pos.ADJ, "pitch-black", 0),
                    without(WordNet.synset(Pos.ADJ, "jet-black", 0), "jet", "pitchy", "sooty"))), // a gem, tar, soot
            Words.of(union(List.of("gray"), WordNet.synset(Pos.ADJ, "gray", 0))));
    private static final Words BACKGROUND_NOUNS = Words.of(union(WordNet.synset(Pos.NOUN, "background", 1),
            WordNet.synset(Pos.NOUN, "backdrop", 0)));
    private static final List<Words> SHAPES = List.of(
            Words.of(union(WordNet.synset(Pos.NOUN, "circle", 0), without(WordNet.synset(Pos.NOUN, "disk", 0), "saucer"))),
            Words.of(WordNet.synset(Pos.NOUN, "square", 0)),
            Words.of(WordNet.synset(Pos.NOUN, "triangle", 0)));
    /** Verbs of motion that need a direction word. */
    private static final Words VERBS = Words.of(union(List.of("move"), without(WordNet.synset(Pos.VERB, "move", 0), "locomote"),
            WordNet.synset(Pos.VERB, "slide", 2), WordNet.synset(Pos.VERB, "glide", 0),
            without(WordNet.synset(Pos.VERB, "drift", 0), "be adrift", "blow")));
    /** Verbs that name the direction themselves: up, then down (left and right have none). */
    private static final Words RISING = Words.of(union(without(WordNet.synset(Pos.VERB, "rise", 0), "lift"), // lifts something
            WordNet.synset(Pos.VERB, "climb", 0)));
    private static final Words FALLING = Words.of(union(WordNet.synset(Pos.VERB, "descend", 0), WordNet.synset(Pos.VERB, "sink", 0)));
    /** Direction words and phrases. */
    private static final List<Words> DIRECTIONS = List.of(
            Words.of(List.of("left", "to the left", "leftward", "leftwards", "toward the left", "towards the left", "from right to left")),
            Words.of(List.of("right", "to the right", "rightward", "rightwards", "toward the right", "towards the right", "from left to right")),
            Words.of(union(WordNet.synset(Pos.ADV, "up", 0), List.of("toward the top", "towards the top"))),
            Words.of(union(WordNet.synset(Pos.ADV, "down", 0), List.of("toward the bottom", "towards the bottom"))));

    /** A one-syllable verb ending in one vowel and one consonant doubles it: {@code drop}, {@code dropping}. */
    private static final Pattern SHORT_CLOSED = Pattern.compile("[^aeiou]*[aeiou][bdgmnprt]");
    /** {@link #HELD_OUT_WORDS} with the inflections of the held-out verbs, as captions write them. */
    private static final Set<String> HELD_OUT_FORMS = heldOutForms();

    private Captioner() {}

    private static Set<String> heldOutForms() {
        Set<String> out = new LinkedHashSet<>(HELD_OUT_WORDS);
        for (Words verbs : List.of(VERBS, RISING, FALLING))
            for (String v : verbs.heldOut()) out.addAll(List.of(inflect(v, false), inflect(v, true)));
        return Set.copyOf(out);
    }

    /** A caption of {@code c} on {@code background} drawn from {@code phrasing}'s grammar. */
    public static String caption(Combination c, int background, Phrasing phrasing, SplittableRandom rnd) {
        if (c.novel() || SynthSpec.novelBackground(background))
            throw new IllegalArgumentException("the captioner writes the trained world only, not " + c.describe() + " on "
                    + SynthSpec.BACKGROUND_PALETTE.get(background).name());
        List<String> templates = phrasing == Phrasing.TRAINING ? TRAINING_TEMPLATES : HELD_OUT_TEMPLATES;
        String template = templates.get(rnd.nextInt(templates.size()));
        // every slot is drawn, used or not, so a caption's words do not depend on the template's order of slots
        String np = objectPhrase(c, phrasing, rnd);
        String[] motion = motionPhrase(SynthSpec.MOTIONS.get(c.direction()), phrasing, rnd);
        String bg = BACKGROUNDS.get(background).draw(phrasing, rnd), bgNoun = BACKGROUND_NOUNS.draw(phrasing, rnd);
        String prep = PREPOSITIONS.draw(phrasing, rnd), filler = FILLERS.draw(phrasing, rnd);
        String bgDet = rnd.nextInt(4) == 0 ? "the" : "a";
        String plain = rnd.nextInt(4) == 0 ? "plain " : "";
        String bgp = prep + " " + article(bgDet, plain + bg) + " " + plain + bg + " " + bgNoun;
        String text = template.replace("{np}", np).replace("{mv}", motion[0]).replace("{ming}", motion[1])
                .replace("{bgp}", bgp).replace("{bg}", bg).replace("{bgnoun}", bgNoun).replace("{prep}", prep)
                .replace("{det}", article(bgDet, bg)).replace("{filler}", filler);
        return text.isEmpty() ? text : text.replaceAll("\\s+", " ").strip();
    }

    /**
     * The captions a training run uses for clip {@code index} of {@code clip}'s world: its own caption (one of
     * {@link SynthSpec#TEMPLATES}, so the canonical wording stays common), then {@code count − 1} drawn from the
     * training grammar, each from a stream of (seed, index).
     */
    public static List<String> trainingCaptions(Combination c, int background, String own, long seed, int index, int count) {
        if (count < 1) throw new IllegalArgumentException("a clip needs at least one caption, got " + count);
        List<String> out = new ArrayList<>(count);
        out.add(own);
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        for (int i = 1; i < count; i++) out.add(caption(c, background, Phrasing.TRAINING, rnd));
        return out;
    }

    /**
     * A corpus for training a tokenizer: every template caption ({@link SynthSpec#TEMPLATES}) of every trained
     * combination and background, then {@code count} drawn from the training grammar (held-out words never appear).
     */
    public static List<String> trainingCorpus(long seed, int count) {
        List<String> out = new ArrayList<>();
        for (Combination c : SynthSpec.combinations())
            for (int bg = 0; bg < SynthSpec.BACKGROUNDS.size(); bg++)
                for (int t = 0; t < SynthSpec.TEMPLATES.size(); t++) out.add(SynthSpec.caption(t, c, bg));
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Combination> all = SynthSpec.combinations();
        for (int i = 0; i < count; i++)
            out.add(caption(all.get(rnd.nextInt(all.size())), rnd.nextInt(SynthSpec.BACKGROUNDS.size()), Phrasing.TRAINING, rnd));
        return out;
    }

    /** {@code a red circle}, {@code one circle colored red}, {@code the circle in red}. */
    private static String objectPhrase(Combination c, Phrasing phrasing, SplittableRandom rnd) {
        String det = ARTICLES.draw(phrasing, rnd);
        String color = COLORS.get(c.color()).draw(phrasing, rnd), shape = SHAPES.get(c.shape()).draw(phrasing, rnd);
        return switch (rnd.nextInt(4)) {
            case 0, 1 -> article(det, color) + " " + color + " " + shape;
            case 2 -> article(det, shape) + " " + shape + " colored " + color;
            default -> article(det, shape) + " " + shape + " in " + color;
        };
    }

    /**
     * The motion as {finite, participle}: a verb of motion and a direction word ({@code moves left}, {@code sliding to
     * the left}), or for up and down sometimes a verb that names the direction ({@code rises}, {@code sinking}), with a
     * manner adverb one time in four.
     */
    private static String[] motionPhrase(Direction d, Phrasing phrasing, SplittableRandom rnd) {
        String verb = VERBS.draw(phrasing, rnd), where = DIRECTIONS.get(d.ordinal()).draw(phrasing, rnd);
        Words directed = d == Direction.UP ? RISING : d == Direction.DOWN ? FALLING : null;
        String own = directed == null ? null : directed.draw(phrasing, rnd);
        String manner = MANNER.draw(phrasing, rnd);
        int form = rnd.nextInt(4);
        String[] phrase = own != null && form < 2
                ? new String[]{inflect(own, false), inflect(own, true)}
                : new String[]{inflect(verb, false) + " " + where, inflect(verb, true) + " " + where};
        if (rnd.nextInt(4) == 0) for (int i = 0; i < 2; i++) phrase[i] += " " + manner;
        return phrase;
    }

    /** {@code a} or {@code an} before {@code next}; other determiners as they are. */
    private static String article(String det, String next) {
        if (!det.equals("a")) return det;
        return "aeiou".indexOf(next.charAt(0)) >= 0 ? "an" : "a";
    }

    /** The third person ({@code moves}, {@code goes up}) or the participle ({@code moving}, {@code dropping down}) of a verb. */
    static String inflect(String verb, boolean participle) {
        int space = verb.indexOf(' ');
        String head = space < 0 ? verb : verb.substring(0, space), rest = space < 0 ? "" : verb.substring(space);
        String out;
        if (!participle) out = head.matches(".*(s|sh|ch|x|z|o)") ? head + "es" : head + "s";
        else if (head.endsWith("ee")) out = head + "ing";
        else if (head.endsWith("e")) out = head.substring(0, head.length() - 1) + "ing";
        else if (SHORT_CLOSED.matcher(head).matches()) out = head + head.charAt(head.length() - 1) + "ing";
        else out = head + "ing";
        return out + rest;
    }

    /** Every word and phrase of the lexicon, for the model card and tests: one line per attribute. */
    public static List<String> lexicon() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < COLORS.size(); i++) out.add("colour " + SynthSpec.COLORS.get(i).name() + ": " + describe(COLORS.get(i)));
        for (int i = 0; i < SHAPES.size(); i++) out.add("shape " + SynthSpec.SHAPES.get(i).word() + ": " + describe(SHAPES.get(i)));
        for (int i = 0; i < DIRECTIONS.size(); i++)
            out.add("direction " + SynthSpec.DIRECTIONS.get(i).word() + ": " + describe(DIRECTIONS.get(i)));
        out.add("verbs of motion: " + describe(VERBS));
        out.add("verbs for up: " + describe(RISING));
        out.add("verbs for down: " + describe(FALLING));
        out.add("manner: " + describe(MANNER));
        for (int i = 0; i < BACKGROUNDS.size(); i++)
            out.add("background " + SynthSpec.BACKGROUNDS.get(i).name() + ": " + describe(BACKGROUNDS.get(i)));
        out.add("background nouns: " + describe(BACKGROUND_NOUNS));
        out.add("prepositions: " + describe(PREPOSITIONS));
        out.add("articles: " + describe(ARTICLES));
        out.add("filler: " + describe(FILLERS));
        return out;
    }

    private static String describe(Words w) {
        return String.join(", ", w.training()) + (w.heldOut().isEmpty() ? "" : "; held out: " + String.join(", ", w.heldOut()));
    }

    /** Whether {@code caption} contains a held-out word or phrase (or a verb's inflection of one) as whole words. */
    public static boolean containsHeldOutWord(String caption) {
        String text = " " + caption.toLowerCase(Locale.ROOT).replaceAll("[,.;:]", " ").replaceAll("\\s+", " ") + " ";
        return HELD_OUT_FORMS.stream().anyMatch(w -> text.contains(" " + w + " "));
    }

    private static List<String> union(List<String>... lists) {
        Set<String> out = new LinkedHashSet<>();
        for (List<String> l : lists) out.addAll(l);
        return List.copyOf(out);
    }

    private static List<String> without(List<String> words, String... drop) {
        List<String> out = new ArrayList<>(words);
        out.removeAll(List.of(drop));
        return out;
    }
}
