package dev.zoetrope.train.eval;

import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthSpec.Combination;

/** One evaluation prompt: a combination on a background, always in the canonical caption template. */
public record AdherencePrompt(Combination combination, int background) {
    public AdherencePrompt {
        if (background < 0 || background >= SynthSpec.BACKGROUNDS.size())
            throw new IllegalArgumentException("no such background: " + background);
    }

    public boolean heldOut() {
        return combination.heldOut();
    }

    public String split() {
        return heldOut() ? "heldout" : "seen";
    }

    public String caption() {
        return SynthSpec.canonicalCaption(combination, background);
    }

    /** File-name friendly, e.g. {@code red-circle-left-black}. */
    public String slug() {
        return combination.describe().replace(' ', '-') + "-" + SynthSpec.BACKGROUNDS.get(background).name();
    }
}
