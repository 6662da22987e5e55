package dev.zoetrope.train.eval;

import java.util.List;

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
        if (combination.novel()) return heldOut() ? "novel-heldout" : "novel";
        if (SynthSpec.novelBackground(background)) return heldOut() ? "novel-bg-heldout" : "novel-bg";
        return heldOut() ? "heldout" : "seen";
    }

    /**
     * The colours the detector chooses among: those training shows, and the novel ones only for a prompt that names
     * one, so the scores of the shipped model's own prompts stay what they were.
     */
    public List<SynthSpec.Rgb> palette() {
        return combination.novel() ? SynthSpec.PALETTE : SynthSpec.COLORS;
    }

    /** The backgrounds the detector chooses among: the novel ones only for a prompt that names one. */
    public List<SynthSpec.Rgb> backgrounds() {
        return SynthSpec.novelBackground(background) ? SynthSpec.BACKGROUND_PALETTE : SynthSpec.BACKGROUNDS;
    }

    /** Whether it names a colour or background the shipped models never saw. */
    public boolean novel() {
        return combination.novel() || SynthSpec.novelBackground(background);
    }

    public String caption() {
        return SynthSpec.canonicalCaption(combination, background);
    }

    /** File-name friendly, e.g. {@code red-circle-left-black}. */
    public String slug() {
        return combination.describe().replace(' ', '-') + "-" + SynthSpec.BACKGROUND_PALETTE.get(background).name();
    }
}
