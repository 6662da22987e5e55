package dev.zoetrope.curate.signals;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import dev.zoetrope.curate.filter.FilterConfig;
import dev.zoetrope.curate.filter.Reason;
import dev.zoetrope.curate.filter.RuleFilter;
import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.testset.Effects;
import dev.zoetrope.curate.testset.Scene;

class SignalsTest {
    private static ClipSignals measure(Scene scene, UnaryOperator<Picture> effect) {
        SignalExtractor ex = new SignalExtractor(36);
        for (int f = 0; f < 36; f++) ex.accept(effect.apply(scene.render(f, 96, 54)));
        return ex.finish();
    }

    @Test
    void eachDegradationMovesItsOwnSignal() {
        Scene moving = new Scene(7, 30, 1);
        ClipSignals clean = measure(moving, p -> p);
        ClipSignals still = measure(new Scene(7, 30, 0), p -> p);
        ClipSignals blurred = measure(moving, p -> Effects.blur(p, 1.5));
        ClipSignals dark = measure(moving, p -> Effects.gain(p, 0.15));
        ClipSignals letterbox = measure(moving, p -> Effects.bars(p, 0.12, true));
        ClipSignals pillarbox = measure(moving, p -> Effects.bars(p, 0.12, false));
        ClipSignals text = measure(moving, p -> Effects.text(p, "Subtitles here"));

        assertTrue(clean.motion() > 0.8 && still.motion() < 0.01, clean.motion() + " vs " + still.motion());
        assertTrue(blurred.sharpness() < clean.sharpness() / 5, blurred.sharpness() + " vs " + clean.sharpness());
        assertTrue(dark.brightness() < 0.1 && clean.brightness() > 0.25);
        assertEquals(0.24, letterbox.border(), 0.03);
        assertEquals(0.24, pillarbox.border(), 0.03);
        assertEquals(0, clean.border(), 1e-9);
        assertTrue(text.text() > 0.1 && clean.text() < 0.02, text.text() + " vs " + clean.text());
        // Bars are left out of exposure, so a letterboxed clip is not darker than its content.
        assertEquals(clean.brightness(), letterbox.brightness(), 0.05);
    }

    /** Too dark is too little visible picture, not a low mean: a lit subject on black passes, a dim clip with specks does not. */
    @Test
    void exposureIsJudgedByHowMuchOfThePictureIsVisible() {
        Scene moving = new Scene(7, 30, 1);
        RuleFilter rules = new RuleFilter(FilterConfig.DEFAULT);
        ClipSignals clean = measure(moving, p -> p);
        ClipSignals dark = measure(moving, p -> Effects.gain(p, 0.15));
        // Night: the scene at a tenth of its level, lit windows (3×3 of every 8×8 pixels, 14 % of the picture) at full level.
        ClipSignals night = measure(moving, p -> keep(Effects.gain(p, 0.1), p, (x, y) -> x % 8 < 3 && y % 8 < 3));
        // Stars: the dim clip with one pixel in 300 at full level; they do not make the picture visible.
        ClipSignals stars = measure(moving, p -> keep(Effects.gain(p, 0.15), white(p), (x, y) -> (x * 7 + y * 13) % 300 == 0));

        assertTrue(clean.visible() > 0.9, "clean " + clean.visible());
        assertTrue(night.brightness() < 0.15, "night is dark on average: " + night.brightness());
        assertTrue(night.visible() > 0.1 && night.visible() < 0.18, "night visible " + night.visible());
        assertTrue(dark.visible() < 0.01 && stars.visible() < 0.01, dark.visible() + ", " + stars.visible());
        assertFalse(rules.reasons(night).contains(Reason.TOO_DARK), rules.reasons(night).toString());
        assertTrue(rules.reasons(dark).contains(Reason.TOO_DARK));
        assertTrue(rules.reasons(stars).contains(Reason.TOO_DARK));
        assertFalse(rules.reasons(clean).contains(Reason.TOO_DARK));
    }

    private interface Mask {
        boolean at(int x, int y);
    }

    /** {@code base} with the pixels where {@code mask} holds taken from {@code lit}. */
    private static Picture keep(Picture base, Picture lit, Mask mask) {
        byte[] rgb = base.rgb().clone();
        for (int y = 0; y < base.height(); y++)
            for (int x = 0; x < base.width(); x++)
                if (mask.at(x, y)) System.arraycopy(lit.rgb(), 3 * (y * base.width() + x), rgb, 3 * (y * base.width() + x), 3);
        return new Picture(base.width(), base.height(), rgb);
    }

    private static Picture white(Picture p) {
        byte[] rgb = new byte[p.rgb().length];
        java.util.Arrays.fill(rgb, (byte) 255);
        return new Picture(p.width(), p.height(), rgb);
    }

    @Test
    void perceptualHashesMatchAcrossSizesAndDifferAcrossScenes() {
        Scene a = new Scene(11, 0, 1), b = new Scene(12, 180, 1);
        long ha = PerceptualHash.of(Luma.of(a.render(5, 128, 72)));
        long haBig = PerceptualHash.of(Luma.of(a.render(5, 192, 108)));
        long hb = PerceptualHash.of(Luma.of(b.render(5, 128, 72)));
        assertTrue(PerceptualHash.distance(ha, haBig) <= 4, "same scene: " + PerceptualHash.distance(ha, haBig));
        assertTrue(PerceptualHash.distance(ha, hb) >= 16, "different scenes: " + PerceptualHash.distance(ha, hb));
    }

    @Test
    void lshBandingFindsEveryPairWithinTheThresholdAndKeepsTheSmallestId() {
        long[] base = {0x0123456789abcdefL, 0x7edcba9876543210L, 0x55aa55aa55aa55aaL};
        long[] near = base.clone();
        // Flip 15 bits, one in each of the sixteen 12-bit bands but the last: the pair must still share a band.
        for (int i = 0; i < 15; i++) {
            int bit = i * 12 + 5;
            near[bit / 64] ^= 1L << (bit % 64);
        }
        long[] far = {~base[0], ~base[1], ~base[2]};
        Map<String, String> dup = NearDuplicates.find(Map.of("b-copy", near, "a-orig", base, "c-other", far), 15);
        assertEquals(Map.of("b-copy", "a-orig"), dup);
        assertEquals(15, NearDuplicates.distance(base, near));
        assertTrue(NearDuplicates.find(Map.of("x", base, "y", near), 14).isEmpty());
    }
}
