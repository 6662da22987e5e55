package dev.zoetrope.train.eval;

import java.util.Locale;

/** The {@code replica}-th clip generated for a prompt, with the seed it is generated from. */
public record EvalClip(AdherencePrompt prompt, int replica, long seed) {
    /** File name stem, e.g. {@code heldout-red-triangle-up-black-k0}. */
    public String id() {
        return String.format(Locale.ROOT, "%s-%s-k%d", prompt.split(), prompt.slug(), replica);
    }
}
