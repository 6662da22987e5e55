package dev.zoetrope.train.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.models.vae.WanVaeConfig;
import dev.zoetrope.train.loop.MetricsLog;
import dev.zoetrope.train.loop.TrainConfig;
import dev.zoetrope.train.synth.SynthWorld;

class VaeTrainingTest {
    @Test
    void salientPixelsWeighMoreAndWeightsAverageOne() {
        dev.zoetrope.core.engine.Engine.init();
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            // One 8×8 frame: black background (−1) with a 2×2 white square (+1): 4 of 64 pixels salient.
            org.bytedeco.pytorch.Tensor x = org.bytedeco.pytorch.global.torch.full(new long[]{1, 3, 1, 8, 8}, new org.bytedeco.pytorch.Scalar(-1.0));
            x.narrow(3, 2, 2).narrow(4, 5, 2).fill_(new org.bytedeco.pytorch.Scalar(1.0));
            float[] w = dev.zoetrope.core.engine.Tensors.toFloats(dev.zoetrope.train.loop.Salience.weights(x, 10.0, VaeTrainingTask.SALIENT_DISTANCE).contiguous());
            double mean = 0;
            for (float v : w) mean += v / w.length;
            assertEquals(1.0, mean, 1e-5, "weights average 1, so the loss scale matches plain MSE");
            float object = w[2 * 8 + 5], background = w[0];
            assertEquals(10.0, object / background, 1e-4, "a fully salient pixel weighs salientWeight times a background pixel");
            assertEquals(1.0 / (1 + 9 * 4 / 64.0), background, 1e-5);
        }
    }


    @Test
    void edgeTermIsZeroForTheClipItselfAndPunishesABlurredCornerMoreThanMse() {
        dev.zoetrope.core.engine.Engine.init();
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            // a 4×4 white square on black in an 8×8 frame, and two guesses with the same squared error: the square
            // with its corner pixel grey, and the square's pixels right but the whole background lifted a little
            org.bytedeco.pytorch.Tensor x = org.bytedeco.pytorch.global.torch.full(new long[]{1, 1, 1, 8, 8}, new org.bytedeco.pytorch.Scalar(-1.0));
            x.narrow(3, 2, 4).narrow(4, 2, 4).fill_(new org.bytedeco.pytorch.Scalar(1.0));
            assertEquals(0.0, VaeTrainingTask.edgeDifference(x, x).item_double(), 0.0);
            org.bytedeco.pytorch.Tensor rounded = x.clone();
            rounded.narrow(3, 2, 1).narrow(4, 2, 1).fill_(new org.bytedeco.pytorch.Scalar(0.0));
            org.bytedeco.pytorch.Tensor lifted = x.clone();
            double lift = Math.sqrt(1.0 / 48); // the same squared error as one pixel off by 1, spread over the 48 background pixels
            lifted.narrow(3, 0, 2).add_(new org.bytedeco.pytorch.Scalar(lift));
            lifted.narrow(3, 6, 2).add_(new org.bytedeco.pytorch.Scalar(lift));
            lifted.narrow(3, 2, 4).narrow(4, 0, 2).add_(new org.bytedeco.pytorch.Scalar(lift));
            lifted.narrow(3, 2, 4).narrow(4, 6, 2).add_(new org.bytedeco.pytorch.Scalar(lift));
            double mseRounded = rounded.sub(x).pow(new org.bytedeco.pytorch.Scalar(2)).mean().item_double();
            double mseLifted = lifted.sub(x).pow(new org.bytedeco.pytorch.Scalar(2)).mean().item_double();
            assertEquals(mseRounded, mseLifted, 1e-6, "squared error cannot tell the two apart");
            double edgeRounded = VaeTrainingTask.edgeDifference(rounded, x).item_double();
            double edgeLifted = VaeTrainingTask.edgeDifference(lifted, x).item_double();
            // the corner pixel is off by 1 against both its neighbours in each direction: 4 differences of 1 over 2·56;
            // the lift changes only the 16 differences across the square's border, by sqrt(1/48) each
            assertEquals(4.0 / 56, edgeRounded, 1e-6);
            assertTrue(edgeRounded > 1.5 * edgeLifted, "the rounded corner costs more: " + edgeRounded + " vs " + edgeLifted);
        }
    }

    @Test
    void absoluteErrorWeighsAMissingCornerOnGrayNearerToOneOnBlackThanSquaredErrorDoes() {
        dev.zoetrope.core.engine.Engine.init();
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            // a corner pixel drawn as the background: the palette's purple (150, 60, 200) on black and on gray (110)
            double[] purple = {150 / 127.5 - 1, 60 / 127.5 - 1, 200 / 127.5 - 1}, black = {-1, -1, -1};
            double[] gray = {110 / 127.5 - 1, 110 / 127.5 - 1, 110 / 127.5 - 1};
            double[] l2 = new double[2], l1 = new double[2];
            double[][] backgrounds = {black, gray};
            for (int b = 0; b < 2; b++) {
                float[] half = new float[3];
                for (int c = 0; c < 3; c++) half[c] = (float) (purple[c] - backgrounds[b][c]);
                org.bytedeco.pytorch.Tensor diff = dev.zoetrope.core.engine.Tensors.fromFloats(half, 3);
                l2[b] = VaeTrainingTask.Reconstruction.L2.error(diff).sum().item_double();
                l1[b] = VaeTrainingTask.Reconstruction.L1.error(diff).sum().item_double();
                double sq = 0, abs = 0;
                for (float h : half) {
                    sq += h * h;
                    abs += Math.abs(h);
                }
                assertEquals(sq, l2[b], 1e-6);
                assertEquals(abs, l1[b], 1e-6);
            }
            assertEquals(5.42, l2[0] / l2[1], 0.01, "squared error: a rounded corner is 5.4 times dearer on black");
            assertEquals(2.28, l1[0] / l1[1], 0.01, "absolute error: 2.3 times");
        }
        assertEquals(VaeTrainingTask.Reconstruction.L1, VaeTrainingTask.Reconstruction.parse(" L1 "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VaeTrainingTask.Reconstruction.parse("l3"));
        assertTrue(e.getMessage().contains("\"l2\" or \"l1\"") && e.getMessage().contains("l3"), e.getMessage());
    }

    @Test
    void windowScheduleEndsOnTheLongWindowsAndIsAFunctionOfTheStep() {
        WanVaeConfig model = new WanVaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
        TrainConfig train = new TrainConfig(100, 4, 1, 3e-3, 5, 0.1, 0.0, 0.9, 0.99, 1e-8, 1.0, 0.9, 11, 30, 1, 0, 2);
        VaeTraining.Options o = new VaeTraining.Options(model, 9, 17, 30, 1e-4, 4.0, 0, VaeTrainingTask.Reconstruction.L2, 16, 4, train);
        assertEquals(9, o.windowAt(0));
        assertEquals(9, o.windowAt(69), "the last short-window step");
        assertEquals(17, o.windowAt(70), "the final 30 of 100 steps train on 17 frames");
        assertEquals(17, o.windowAt(99));
        VaeTraining.Options single = new VaeTraining.Options(model, 5, 1e-4, 4.0, 16, 4, train);
        assertEquals(5, single.windowAt(0));
        assertEquals(5, single.windowAt(99), "without a final phase one window serves throughout");
        assertThrows(IllegalArgumentException.class, () -> new VaeTraining.Options(model, 9, 17, 101, 1e-4, 4.0, 0, VaeTrainingTask.Reconstruction.L2, 16, 4, train),
                "a final phase longer than the run is refused");
    }

    @Test
    void microVaeLearnsAndExportsALoadableCheckpoint(@TempDir Path dir) throws Exception {
        SynthWorld.Settings s = new SynthWorld.Settings(32, 32, 9, 8, SynthWorld.Split.TRAIN);
        SynthWorld.generate(dir.resolve("train"), 16, 1, s, 1, null);
        SynthWorld.generate(dir.resolve("heldout"), 4, 2, new SynthWorld.Settings(32, 32, 9, 8, SynthWorld.Split.HELDOUT), 1, null);
        WanVaeConfig model = new WanVaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
        TrainConfig train = new TrainConfig(60, 4, 1, 3e-3, 5, 0.1, 0.0, 0.9, 0.99, 1e-8, 1.0, 0.9, 11, 30, 1, 0, 2);
        VaeTraining.Result r = VaeTraining.run(dir.resolve("train"), dir.resolve("heldout"), dir.resolve("run"),
                new VaeTraining.Options(model, 5, 9, 20, 1e-4, 4.0, 0.5, VaeTrainingTask.Reconstruction.L2, 16, 4, train), false);
        List<JsonNode> rows = MetricsLog.read(dir.resolve("run/metrics.jsonl"));
        double first = rows.subList(0, 5).stream().mapToDouble(n -> n.get("loss").asDouble()).average().orElseThrow();
        double last = rows.subList(55, 60).stream().mapToDouble(n -> n.get("loss").asDouble()).average().orElseThrow();
        assertTrue(last < first * 0.7, "reconstruction loss falls: " + first + " → " + last);
        assertTrue(r.psnr() > 10 && r.psnr() < 60, "PSNR is measured on held-out clips: " + r.psnr());
        assertTrue(Files.isRegularFile(dir.resolve("run/vae_eval.json")));
        JsonNode eval = dev.zoetrope.core.config.Json.readTree(dir.resolve("run/vae_eval.json"));
        for (String k : List.of("detector_color", "detector_shape", "detector_direction")) {
            double v = eval.get(k).asDouble(-1);
            assertTrue(v >= 0 && v <= 1, k + " is a fraction of the held-out clips: " + v);
        }
        assertTrue(Files.size(dir.resolve("run/reconstructions.png")) > 0, "a strip of originals and reconstructions is written");
        try (WanVae vae = WanVae.load(r.export())) {
            assertEquals(model, vae.config(), "the export carries its config");
        }
    }
}
