package dev.zoetrope.train.eval;

import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthSpec.Combination;

/**
 * One evaluation prompt: a combination on a background, in the canonical caption template, or in a held-out phrasing
 * ({@code phrasing}: a caption from {@link dev.zoetrope.train.synth.Captioner}'s held-out grammar; null for the canonical one).
 */
public record AdherencePrompt(Combination combination, int background, String phrasing) {
    public AdherencePrompt {
        if (background < 0 || background >= SynthSpec.BACKGROUND_PALETTE.size())
            throw new IllegalArgumentException("no such background: " + background);
    }

    /** In the canonical template. */
    public AdherencePrompt(Combination combination, int background) {
        this(combination, background, null);
    }

    /** Whether it is worded in a held-out phrasing rather than the canonical template. */
    public boolean heldOutPhrasing() {
        return phrasing != null;
    }

    public boolean heldOut() {
        return combination.heldOut();
    }

    public String split() {
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
        return heldOutPhrasing() ? phrasing : SynthSpec.canonicalCaption(combination, background);
    }

    /** File-name friendly, e.g. {@code red-circle-left-black}. */
    public String slug() {
        return combination.describe().replace(' ', '-') + "-" + SynthSpec.BACKGROUND_PALETTE.get(background).name();
    }
}
