package dev.zoetrope.curate.filter;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogisticModelTest {
    @TempDir
    Path dir;

    @Test
    void learnsASeparableRuleAndCrossValidatesWell() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        int n = 200;
        double[][] x = new double[n][3];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i][0] = r.nextGaussian();
            x[i][1] = r.nextGaussian() * 10 + 5;
            x[i][2] = r.nextGaussian();
            y[i] = 2 * x[i][0] - 0.3 * (x[i][1] - 5) + 0.3 * r.nextGaussian() > 0 ? 1 : 0;
        }
        List<String> names = List.of("a", "b", "c");
        LogisticModel m = LogisticModel.fit(names, x, y, 1.0, 0.5);
        assertTrue(m.weights()[0] > 0 && m.weights()[1] < 0, java.util.Arrays.toString(m.weights()));
        assertTrue(Math.abs(m.weights()[2]) < Math.abs(m.weights()[0]) / 4);
        CrossValidation.Result cv = CrossValidation.run(names, x, y, 1.0, 0.5, 5, 1);
        assertTrue(cv.accuracy() > 0.85, "accuracy " + cv.accuracy());
        assertTrue(cv.auc() > 0.93, "auc " + cv.auc());
        Path file = dir.resolve("model.json");
        m.save(file);
        LogisticModel back = LogisticModel.load(file);
        assertEquals(m.score(x[7]), back.score(x[7]), 1e-12);
    }

    @Test
    void aucOfAPerfectAndAReversedRanking() {
        assertEquals(1.0, CrossValidation.auc(new double[]{0.1, 0.2, 0.8, 0.9}, new int[]{0, 0, 1, 1}));
        assertEquals(0.0, CrossValidation.auc(new double[]{0.9, 0.8, 0.2, 0.1}, new int[]{0, 0, 1, 1}));
        assertEquals(0.5, CrossValidation.auc(new double[]{0.5, 0.5}, new int[]{0, 1}));
    }
}
