package dev.zoetrope.curate.shots;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.testset.Effects;
import dev.zoetrope.curate.testset.Scene;

class ShotDetectorTest {
    @Test
    void findsHardCutsAtTheFirstFrameOfEachNewShot() {
        ShotDetector d = new ShotDetector();
        int[] lengths = {40, 25, 60, 33};
        for (int s = 0; s < lengths.length; s++) {
            Scene scene = new Scene(300 + s, s * 90, 1);
            for (int i = 0; i < lengths[s]; i++) d.accept(scene.render(i, 96, 54));
        }
        ShotDetector.Result r = d.finish();
        assertEquals(List.of(40, 65, 125), r.cuts());
        assertEquals(List.of(new Shot(0, 40), new Shot(40, 65), new Shot(65, 125), new Shot(125, 158)), r.shots());
        assertTrue(r.fades().isEmpty());
    }

    @Test
    void findsAFadeThroughBlackAtTheMiddleOfTheDarkRunAndNoCutInsideIt() {
        ShotDetector d = new ShotDetector();
        Scene a = new Scene(1, 20, 1), b = new Scene(2, 200, 1);
        int f = 0;
        for (int i = 0; i < 40; i++, f++) d.accept(a.render(i, 96, 54));
        for (int i = 0; i < 10; i++, f++) d.accept(Effects.gain(a.render(40 + i, 96, 54), 1 - (i + 1) / 10.0));
        for (int i = 0; i < 4; i++, f++) d.accept(Picture.blank(96, 54));
        for (int i = 0; i < 10; i++, f++) d.accept(Effects.gain(b.render(i, 96, 54), (i + 1) / 10.0));
        for (int i = 0; i < 40; i++, f++) d.accept(b.render(10 + i, 96, 54));
        ShotDetector.Result r = d.finish();
        assertTrue(r.cuts().isEmpty(), "cuts " + r.cuts());
        assertEquals(1, r.fades().size());
        // The black frames are 50..53; the detector's boundary must be within two frames of their middle.
        assertTrue(Math.abs(r.fades().getFirst() - 52) <= 2, "fade at " + r.fades());
        assertEquals(2, r.shots().size());
        assertEquals(0, r.shots().get(0).start());
        assertEquals(f, r.shots().get(1).end());
    }

    @Test
    void adaptiveRatioIgnoresSteadyHighMotion() {
        AdaptiveCutDetector d = new AdaptiveCutDetector(AdaptiveCutDetector.Params.DEFAULT);
        // Fast but steady content change: large values, yet no frame stands out against its neighbours.
        for (int i = 1; i < 100; i++) d.accept(i, 40 + (i % 3));
        assertTrue(d.cuts().isEmpty());
        d.accept(100, 200);
        for (int i = 101; i < 110; i++) d.accept(i, 40);
        assertEquals(List.of(100), d.cuts());
    }

    @Test
    void aVideoThatIsDarkThroughoutIsOneShotNotAFade() {
        ShotDetector d = new ShotDetector();
        Scene scene = new Scene(9, 100, 1);
        for (int i = 0; i < 60; i++) d.accept(Effects.gain(scene.render(i, 96, 54), 0.08));
        ShotDetector.Result r = d.finish();
        assertEquals(List.of(new Shot(0, 60)), r.shots());
        assertTrue(r.fades().isEmpty() && r.cuts().isEmpty());
        // Short and dark throughout (a small object on black, as in the synthetic world): still one shot.
        ShotDetector shortDark = new ShotDetector();
        for (int i = 0; i < 17; i++) shortDark.accept(Effects.gain(scene.render(i, 96, 54), 0.05));
        assertEquals(List.of(new Shot(0, 17)), shortDark.finish().shots());
    }
}
