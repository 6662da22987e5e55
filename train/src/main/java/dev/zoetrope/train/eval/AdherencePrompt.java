package dev.zoetrope.train.eval;

import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthSpec.Combination;

/**
 * One evaluation prompt: a combination on a background, in the canonical caption template, or in a held-out phrasing
 * ({@code phrasing}: a caption from {@link dev.zoetrope.train.synth.Captioner}'s held-out grammar; null for the canonical one),
 * or written by a person ({@code written}: its line in a prompts file, from 1; 0 for the others), with the scene it asks for.
 */
public record AdherencePrompt(Combination combination, int background, String phrasing, int written) {
    public AdherencePrompt {
        if (background < 0 || background >= SynthSpec.BACKGROUND_PALETTE.size())
            throw new IllegalArgumentException("no such background: " + background);
        if (written < 0) throw new IllegalArgumentException("a written prompt's line is at least 1, got " + written);
        if (written > 0 && (phrasing == null || phrasing.isBlank()))
            throw new IllegalArgumentException("a written prompt needs its text");
    }

    /** In the canonical template. */
    public AdherencePrompt(Combination combination, int background) {
        this(combination, background, null, 0);
    }

    /** In a held-out phrasing ({@code phrasing}), or the canonical template (null). */
    public AdherencePrompt(Combination combination, int background, String phrasing) {
        this(combination, background, phrasing, 0);
    }

    /** Whether a person wrote it (a line of {@code eval adherence --prompts}). */
    public boolean isWritten() {
        return written > 0;
    }

    /** Whether it is worded in a held-out phrasing of the grammar rather than the canonical template. */
    public boolean heldOutPhrasing() {
        return phrasing != null && !isWritten();
    }

    public boolean heldOut() {
        return combination.heldOut();
    }

    public String split() {
        if (isWritten()) return "written";
        if (combination.novelColor()) return heldOut() ? "novel-heldout" : "novel";
        if (combination.novelMotion()) return heldOut() ? "novel-motion-heldout" : "novel-motion";
        if (SynthSpec.novelBackground(background)) return heldOut() ? "novel-bg-heldout" : "novel-bg";
        String split = heldOut() ? "heldout" : "seen";
        return heldOutPhrasing() ? split + "-phrasing" : split;
    }

    /**
     * What the detector chooses among: what training shows, and a novel colour, background or motion only for a prompt
     * that names one, so the scores of the shipped model's own prompts stay what they were.
     */
    public SynthSpec.Choices choices() {
        return new SynthSpec.Choices(combination.novelColor() ? SynthSpec.PALETTE : SynthSpec.COLORS,
                SynthSpec.novelBackground(background) ? SynthSpec.BACKGROUND_PALETTE : SynthSpec.BACKGROUNDS,
                combination.novelMotion() ? SynthSpec.MOTIONS : SynthSpec.DIRECTIONS);
    }

    /** What it names that the shipped models never saw, if anything. */
    public java.util.Optional<SynthSpec.Novelty> novelty() {
        if (combination.novelColor()) return java.util.Optional.of(SynthSpec.Novelty.COLOR);
        if (combination.novelMotion()) return java.util.Optional.of(SynthSpec.Novelty.MOTION);
        if (SynthSpec.novelBackground(background)) return java.util.Optional.of(SynthSpec.Novelty.BACKGROUND);
        return java.util.Optional.empty();
    }

    /** Whether it names a colour, background or motion the shipped models never saw. */
    public boolean novel() {
        return novelty().isPresent();
    }

    public String caption() {
        return phrasing != null ? phrasing : SynthSpec.canonicalCaption(combination, background);
    }

    /**
     * File-name friendly, e.g. {@code red-circle-left-black}; a written prompt's starts with its line and a hash of its text
     * ({@code 03-5f1c09ab-red-circle-left-black}), so an edited line is generated again rather than taken from a resumed run.
     */
    public String slug() {
        String scene = combination.describe().replace(' ', '-') + "-" + SynthSpec.BACKGROUND_PALETTE.get(background).name();
        if (!isWritten()) return scene;
        return String.format(java.util.Locale.ROOT, "%02d-%08x-%s", written, phrasing.hashCode(), scene);
    }
}
