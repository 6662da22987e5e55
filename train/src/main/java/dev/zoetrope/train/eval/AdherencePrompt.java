package dev.zoetrope.train.eval;

import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthSpec.Combination;

/** One evaluation prompt: a combination on a background, always in the canonical caption template. */
public record AdherencePrompt(Combination combination, int background) {
    public AdherencePrompt {
        if (background < 0 || background >= SynthSpec.BACKGROUND_PALETTE.size())
            throw new IllegalArgumentException("no such background: " + background);
    }

    public boolean heldOut() {
        return combination.heldOut();
    }

    public String split() {
        if (combination.novelColor()) return heldOut() ? "novel-heldout" : "novel";
        if (combination.novelMotion()) return heldOut() ? "novel-motion-heldout" : "novel-motion";
        if (SynthSpec.novelBackground(background)) return heldOut() ? "novel-bg-heldout" : "novel-bg";
        return heldOut() ? "heldout" : "seen";
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
        return SynthSpec.canonicalCaption(combination, background);
    }

    /** File-name friendly, e.g. {@code red-circle-left-black}. */
    public String slug() {
        return combination.describe().replace(' ', '-') + "-" + SynthSpec.BACKGROUND_PALETTE.get(background).name();
    }
}
