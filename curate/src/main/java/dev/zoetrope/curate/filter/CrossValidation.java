package dev.zoetrope.curate.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** k-fold cross-validation of the logistic filter: accuracy at the threshold and ROC AUC, pooled over folds. */
public final class CrossValidation {
    public record Result(int folds, int examples, double accuracy, double auc) {}

    private CrossValidation() {}

    public static Result run(List<String> names, double[][] x, int[] y, double l2, double threshold, int folds, long seed) {
        int n = x.length;
        if (n < folds) throw new IllegalArgumentException(n + " labelled clips are too few for " + folds + "-fold cross-validation");
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double[] scores = new double[n];
        for (int f = 0; f < folds; f++) {
            List<Integer> train = new ArrayList<>(), test = new ArrayList<>();
            for (int i = 0; i < n; i++) (i % folds == f ? test : train).add(order[i]);
            double[][] tx = new double[train.size()][];
            int[] ty = new int[train.size()];
            for (int i = 0; i < train.size(); i++) {
                tx[i] = x[train.get(i)];
                ty[i] = y[train.get(i)];
            }
            LogisticModel m = LogisticModel.fit(names, tx, ty, l2, threshold);
            for (int i : test) scores[i] = m.score(x[i]);
        }
        int correct = 0;
        for (int i = 0; i < n; i++) if ((scores[i] >= threshold ? 1 : 0) == y[i]) correct++;
        return new Result(folds, n, (double) correct / n, auc(scores, y));
    }

    /** Probability that a random positive scores above a random negative (ties count half). */
    public static double auc(double[] scores, int[] y) {
        long pos = 0, neg = 0;
        double wins = 0;
        for (int i = 0; i < scores.length; i++) {
            if (y[i] != 1) continue;
            pos++;
            for (int j = 0; j < scores.length; j++) {
                if (y[j] != 0) continue;
                if (scores[i] > scores[j]) wins += 1;
                else if (scores[i] == scores[j]) wins += 0.5;
            }
        }
        for (int v : y) if (v == 0) neg++;
        return pos == 0 || neg == 0 ? Double.NaN : wins / (pos * neg);
    }
}
