package dev.zoetrope.train.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The synthetic world's vocabulary: one object (colour, shape) moving in a straight line (direction)
 * over a plain background, described by caption templates; and the rule that holds combinations out of
 * training to measure generalisation.
 */
public final class SynthSpec {
    private SynthSpec() {}

    /** A named colour. */
    public record Rgb(String name, int r, int g, int b) {
        public int packed() {
            return r << 16 | g << 8 | b;
        }

        /** Squared Euclidean distance to (r, g, b). */
        public double distance2(double r2, double g2, double b2) {
            return (r - r2) * (r - r2) + (g - g2) * (g - g2) + (b - b2) * (b - b2);
        }
    }

    public enum Shape {
        CIRCLE, SQUARE, TRIANGLE;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Directions in image coordinates (y grows downwards): the four the shipped models saw, then the diagonals and
     * {@code NOWHERE} (the object stands still).
     */
    public enum Direction {
        LEFT(-1, 0), RIGHT(1, 0), UP(0, -1), DOWN(0, 1), UP_LEFT(-1, -1), UP_RIGHT(1, -1), DOWN_LEFT(-1, 1), DOWN_RIGHT(1, 1),
        NOWHERE(0, 0);

        public final int dx, dy;

        Direction(int dx, int dy) {
            this.dx = dx;
            this.dy = dy;
        }

        /** The caption's words: {@code left}, {@code up left}. */
        public String word() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }

        public boolean horizontal() {
            return dx != 0 && dy == 0;
        }

        public boolean diagonal() {
            return dx != 0 && dy != 0;
        }

        public boolean still() {
            return dx == 0 && dy == 0;
        }
    }

    /** Object colours, in index order 0–6. */
    public static final List<Rgb> COLORS = List.of(
            new Rgb("red", 230, 40, 40), new Rgb("orange", 245, 150, 30), new Rgb("yellow", 240, 220, 40),
            new Rgb("green", 40, 180, 60), new Rgb("blue", 40, 90, 230), new Rgb("purple", 150, 60, 200),
            new Rgb("white", 240, 240, 240));
    /**
     * Colours the shipped models never saw, in index order from {@code COLORS.size()}. Their words are not in the tiny
     * tokenizer's vocabulary either, so the text encoder spells them out in characters it was never trained on (a LoRA
     * on the DiT alone did not learn pink: docs/model-card.md).
     */
    public static final List<Rgb> NOVEL_COLORS = List.of(new Rgb("pink", 255, 110, 190));
    /** {@link #COLORS} then {@link #NOVEL_COLORS}: every colour a clip may have. */
    public static final List<Rgb> PALETTE = java.util.stream.Stream.concat(COLORS.stream(), NOVEL_COLORS.stream()).toList();
    public static final List<Shape> SHAPES = List.of(Shape.values());
    /** The directions the shipped models were trained on, in index order 0–3. */
    public static final List<Direction> DIRECTIONS = List.of(Direction.LEFT, Direction.RIGHT, Direction.UP, Direction.DOWN);
    /**
     * Motions the shipped models never saw, in index order from {@code DIRECTIONS.size()}: the diagonals, named by two
     * words the models know but never saw together, and standing still, named by a word the tiny tokenizer spells in
     * characters its text encoder never trained on ({@code train --recipe tiny-motion}).
     */
    public static final List<Direction> NOVEL_DIRECTIONS = List.of(Direction.UP_LEFT, Direction.UP_RIGHT, Direction.DOWN_LEFT,
            Direction.DOWN_RIGHT, Direction.NOWHERE);
    /** {@link #DIRECTIONS} then {@link #NOVEL_DIRECTIONS}: every motion a clip may have (index = ordinal). */
    public static final List<Direction> MOTIONS = List.of(Direction.values());
    public static final List<Rgb> BACKGROUNDS = List.of(new Rgb("black", 0, 0, 0), new Rgb("gray", 110, 110, 110));
    /**
     * Backgrounds the shipped models never saw, in index order from {@code BACKGROUNDS.size()}: "white" names only
     * objects in their training, so "on a white background" gives a known word a new role ({@code train --recipe
     * tiny-white}). White objects are never drawn on them.
     */
    public static final List<Rgb> NOVEL_BACKGROUNDS = List.of(new Rgb("white", 235, 235, 235));
    /** {@link #BACKGROUNDS} then {@link #NOVEL_BACKGROUNDS}. */
    public static final List<Rgb> BACKGROUND_PALETTE = java.util.stream.Stream.concat(BACKGROUNDS.stream(), NOVEL_BACKGROUNDS.stream()).toList();

    /** Caption templates; the first is the canonical one used for evaluation prompts. */
    public static final List<String> TEMPLATES = List.of(
            "a {color} {shape} moving {direction} on a {background} background",
            "a {shape} colored {color} slides {direction} across a {background} background",
            "{background} background with a {color} {shape} traveling {direction}",
            "the {color} {shape} moves {direction} over a plain {background} backdrop");
    public static final int CANONICAL_TEMPLATE = 0;

    /** What a LoRA may teach that the shipped models never saw, and what the evaluation then asks for. */
    public enum Novelty {
        /** A colour ({@link #NOVEL_COLORS}). */
        COLOR,
        /** A background ({@link #NOVEL_BACKGROUNDS}). */
        BACKGROUND,
        /** A motion ({@link #NOVEL_DIRECTIONS}). */
        MOTION;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Novelty parse(String text) {
            for (Novelty n : values()) if (n.word().equals(text.strip().toLowerCase(Locale.ROOT))) return n;
            throw new IllegalArgumentException("unknown novelty '" + text + "' (color, background or motion)");
        }
    }

    /**
     * The choices the clip detector reads a clip against: prefixes of {@link #PALETTE}, {@link #BACKGROUND_PALETTE} and
     * {@link #MOTIONS}. Novel entries count only where a prompt may ask for them, so the scores of the shipped models'
     * own prompts stay what they were.
     */
    public record Choices(List<Rgb> colors, List<Rgb> backgrounds, List<Direction> directions) {
        /** What the shipped models were trained on. */
        public static final Choices TRAINED = new Choices(COLORS, BACKGROUNDS, DIRECTIONS);

        public Choices {
            colors = List.copyOf(colors);
            backgrounds = List.copyOf(backgrounds);
            directions = List.copyOf(directions);
            if (colors.isEmpty() || backgrounds.isEmpty() || directions.isEmpty())
                throw new IllegalArgumentException("a detector needs at least one colour, background and direction");
        }
    }

    /** A colour × shape × direction triple, by index. */
    public record Combination(int color, int shape, int direction) {
        public Combination {
            if (color < 0 || color >= PALETTE.size() || shape < 0 || shape >= SHAPES.size() || direction < 0
                    || direction >= MOTIONS.size())
                throw new IllegalArgumentException("no such combination: " + color + "/" + shape + "/" + direction);
        }

        public boolean heldOut() {
            return isHeldOut(color, shape, direction);
        }

        /** Whether its colour is one the shipped models never saw ({@link #NOVEL_COLORS}). */
        public boolean novelColor() {
            return color >= COLORS.size();
        }

        /** Whether its motion is one the shipped models never saw ({@link #NOVEL_DIRECTIONS}). */
        public boolean novelMotion() {
            return direction >= DIRECTIONS.size();
        }

        /** Whether its colour or its motion is one the shipped models never saw. */
        public boolean novel() {
            return novelColor() || novelMotion();
        }

        public String describe() {
            return PALETTE.get(color).name() + " " + SHAPES.get(shape).word() + " " + MOTIONS.get(direction).word();
        }
    }

    /** The held-out rule: {@code (color + 2*shape + 3*direction) % 7 == 3}. */
    public static boolean isHeldOut(int color, int shape, int direction) {
        return (color + 2 * shape + 3 * direction) % 7 == 3;
    }

    /** All 84 combinations in index order (colour slowest... direction fastest). */
    public static List<Combination> combinations() {
        List<Combination> all = new ArrayList<>();
        for (int c = 0; c < COLORS.size(); c++)
            for (int s = 0; s < SHAPES.size(); s++)
                for (int d = 0; d < DIRECTIONS.size(); d++) all.add(new Combination(c, s, d));
        return List.copyOf(all);
    }

    /**
     * The combinations of the {@link #NOVEL_COLORS}, 12 per colour; the held-out rule applies to them too, so a concept
     * taught on the others is checked on combinations its lesson never showed.
     */
    public static List<Combination> novelCombinations() {
        List<Combination> all = new ArrayList<>();
        for (int c = COLORS.size(); c < PALETTE.size(); c++)
            for (int s = 0; s < SHAPES.size(); s++)
                for (int d = 0; d < DIRECTIONS.size(); d++) all.add(new Combination(c, s, d));
        return List.copyOf(all);
    }

    /**
     * The novel motions (the diagonals and standing still) of the training colours and shapes, 105 of them; the held-out
     * rule applies to them too (15 are held out of the lesson).
     */
    public static List<Combination> novelMotionCombinations() {
        List<Combination> all = new ArrayList<>();
        for (int c = 0; c < COLORS.size(); c++)
            for (int s = 0; s < SHAPES.size(); s++)
                for (int d = DIRECTIONS.size(); d < MOTIONS.size(); d++) all.add(new Combination(c, s, d));
        return List.copyOf(all);
    }

    /** The 12 held-out combinations. */
    public static List<Combination> heldOutCombinations() {
        return combinations().stream().filter(Combination::heldOut).toList();
    }

    /** The 72 combinations training may use. */
    public static List<Combination> seenCombinations() {
        return combinations().stream().filter(c -> !c.heldOut()).toList();
    }

    public static String caption(int template, Combination c, int background) {
        return TEMPLATES.get(template)
                .replace("{color}", PALETTE.get(c.color()).name())
                .replace("{shape}", SHAPES.get(c.shape()).word())
                .replace("{direction}", MOTIONS.get(c.direction()).word())
                .replace("{background}", BACKGROUND_PALETTE.get(background).name());
    }

    /** {@code a {color} {shape} moving {direction} on a {background} background}. */
    public static String canonicalCaption(Combination c, int background) {
        return caption(CANONICAL_TEMPLATE, c, background);
    }

    /** What a caption in any template says. */
    public record Parsed(Combination combination, int background, int template) {}

    /** Recognises a caption written from one of the {@link #TEMPLATES}; empty for anything else. */
    public static Optional<Parsed> parse(String caption) {
        String text = caption.strip().toLowerCase(Locale.ROOT);
        for (int t = 0; t < TEMPLATES.size(); t++) {
            Matcher m = templatePattern(TEMPLATES.get(t)).matcher(text);
            if (!m.matches()) continue;
            int c = indexOf(PALETTE.stream().map(Rgb::name).toList(), m.group("color"));
            int s = indexOf(SHAPES.stream().map(Shape::word).toList(), m.group("shape"));
            int d = indexOf(MOTIONS.stream().map(Direction::word).toList(), m.group("direction"));
            int b = indexOf(BACKGROUND_PALETTE.stream().map(Rgb::name).toList(), m.group("background"));
            if (c >= 0 && s >= 0 && d >= 0 && b >= 0) return Optional.of(new Parsed(new Combination(c, s, d), b, t));
        }
        return Optional.empty();
    }

    private static Pattern templatePattern(String template) {
        String regex = Pattern.quote(template)
                .replace("{color}", "\\E(?<color>[a-z]+)\\Q").replace("{shape}", "\\E(?<shape>[a-z]+)\\Q")
                .replace("{direction}", "\\E(?<direction>[a-z]+(?: [a-z]+)?)\\Q").replace("{background}", "\\E(?<background>[a-z]+)\\Q");
        return Pattern.compile(regex);
    }

    private static int indexOf(List<String> names, String name) {
        return names.indexOf(name);
    }

    /** Index of the training colour ({@link #COLORS}) nearest to (r, g, b). */
    public static int nearestColor(double r, double g, double b) {
        return nearest(COLORS, r, g, b);
    }

    /** Index of the colour of {@code palette} (a prefix of {@link #PALETTE}) nearest to (r, g, b). */
    public static int nearestColor(double r, double g, double b, List<Rgb> palette) {
        return nearest(palette, r, g, b);
    }

    /** Index of the background nearest to (r, g, b). */
    public static int nearestBackground(double r, double g, double b) {
        return nearest(BACKGROUNDS, r, g, b);
    }

    /** Index of the background of {@code palette} (a prefix of {@link #BACKGROUND_PALETTE}) nearest to (r, g, b). */
    public static int nearestBackground(double r, double g, double b, List<Rgb> palette) {
        return nearest(palette, r, g, b);
    }

    /** Whether background {@code background} is one the shipped models never saw ({@link #NOVEL_BACKGROUNDS}). */
    public static boolean novelBackground(int background) {
        return background >= BACKGROUNDS.size();
    }

    /** Whether a clip of {@code c} on {@code background} shows its object: not a white object on a white background. */
    public static boolean visible(Combination c, int background) {
        return !PALETTE.get(c.color()).name().equals(BACKGROUND_PALETTE.get(background).name());
    }

    private static int nearest(List<Rgb> colors, double r, double g, double b) {
        int best = 0;
        for (int i = 1; i < colors.size(); i++) {
            if (colors.get(i).distance2(r, g, b) < colors.get(best).distance2(r, g, b)) best = i;
        }
        return best;
    }
}
