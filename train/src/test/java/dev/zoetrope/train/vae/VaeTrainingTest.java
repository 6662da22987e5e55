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
    void microVaeLearnsAndExportsALoadableCheckpoint(@TempDir Path dir) throws Exception {
        SynthWorld.Settings s = new SynthWorld.Settings(32, 32, 9, 8, SynthWorld.Split.TRAIN);
        SynthWorld.generate(dir.resolve("train"), 16, 1, s, 1, null);
        SynthWorld.generate(dir.resolve("heldout"), 4, 2, new SynthWorld.Settings(32, 32, 9, 8, SynthWorld.Split.HELDOUT), 1, null);
        WanVaeConfig model = new WanVaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
        TrainConfig train = new TrainConfig(60, 4, 1, 3e-3, 5, 0.1, 0.0, 0.9, 0.99, 1e-8, 1.0, 0.9, 11, 30, 1, 0, 2);
        VaeTraining.Result r = VaeTraining.run(dir.resolve("train"), dir.resolve("heldout"), dir.resolve("run"),
                new VaeTraining.Options(model, 5, 1e-4, 16, 4, train), false);
        List<JsonNode> rows = MetricsLog.read(dir.resolve("run/metrics.jsonl"));
        double first = rows.subList(0, 5).stream().mapToDouble(n -> n.get("loss").asDouble()).average().orElseThrow();
        double last = rows.subList(55, 60).stream().mapToDouble(n -> n.get("loss").asDouble()).average().orElseThrow();
        assertTrue(last < first * 0.7, "reconstruction loss falls: " + first + " → " + last);
        assertTrue(r.psnr() > 10 && r.psnr() < 60, "PSNR is measured on held-out clips: " + r.psnr());
        assertTrue(Files.isRegularFile(dir.resolve("run/vae_eval.json")));
        try (WanVae vae = WanVae.load(r.export())) {
            assertEquals(model, vae.config(), "the export carries its config");
        }
    }
}
