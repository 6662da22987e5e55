package dev.zoetrope.curate;

import org.junit.jupiter.api.Test;

import dev.zoetrope.curate.image.Picture;
import dev.zoetrope.curate.shots.ShotDetector;
import dev.zoetrope.curate.signals.*;
import dev.zoetrope.curate.testset.*;

class ProbeValuesTest {
    @Test
    void print() {
        int w = 128, h = 72;
        String[] kinds = {"clean", "static", "blur", "dark", "letter", "pillar", "text"};
        for (String k : kinds) {
            for (int s = 0; s < 3; s++) {
                Scene sc = new Scene(100 + s, s * 97, k.equals("static") ? 0 : 1);
                SignalExtractor ex = new SignalExtractor(60);
                for (int f = 0; f < 60; f++) {
                    Picture p = sc.render(f, w, h);
                    p = switch (k) {
                        case "blur" -> Effects.blur(p, 1.5);
                        case "dark" -> Effects.gain(p, 0.15);
                        case "letter" -> Effects.bars(p, 0.12, true);
                        case "pillar" -> Effects.bars(p, 0.12, false);
                        case "text" -> Effects.text(p, "Breaking news tonight");
                        default -> p;
                    };
                    ex.accept(p);
                }
                ClipSignals c = ex.finish();
                System.out.printf("%-7s motion %.2f sharp %.1f bright %.3f dark %.3f border %.3f text %.4f%n", k, c.motion(), c.sharpness(), c.brightness(), c.dark(), c.border(), c.text());
            }
        }
        ShotDetector d = new ShotDetector();
        int f = 0;
        for (int s = 0; s < 4; s++) {
            Scene sc = new Scene(200 + s, s * 90, 1);
            for (int i = 0; i < 40; i++) { d.accept(sc.render(i, w, h)); f++; }
        }
        System.out.println(d.finish());
    }
}
