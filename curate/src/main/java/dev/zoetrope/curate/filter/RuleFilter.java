package dev.zoetrope.curate.filter;

import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.curate.signals.ClipSignals;

/**
 * The signal thresholds applied to one clip. Duplicates, the learned score and the VLM verdict are added later.
 * Too dark means too little of the picture is visible, not a low mean: night scenes and lit subjects on black pass.
 * A clip rejected for exposure is not also judged static, blurry or bordered: on a near-black (or blown-out) picture
 * frame differences, Laplacian and dark bars all collapse, so those signals say nothing more. A static clip is not
 * also judged for burned-in text: the text score's evidence is strokes that stay put while the picture moves, and
 * in a still picture every stroke stays put.
 */
public final class RuleFilter {
    private final FilterConfig config;

    public RuleFilter(FilterConfig config) {
        this.config = config;
    }

    public List<Reason> reasons(ClipSignals s) {
        List<Reason> out = new ArrayList<>();
        if (s.visible() < config.minVisible()) out.add(Reason.TOO_DARK);
        if (s.brightness() > config.maxBrightness()) out.add(Reason.TOO_BRIGHT);
        if (out.isEmpty()) {
            if (s.motion() < config.staticMotion()) out.add(Reason.STATIC);
            if (s.sharpness() < config.minSharpness()) out.add(Reason.BLURRY);
            if (s.border() > config.maxBorder()) out.add(Reason.BORDERS);
        }
        if (s.text() > config.maxText() && !out.contains(Reason.STATIC)) out.add(Reason.TEXT);
        return out;
    }
}
