package dev.zoetrope.train.loop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;

class TrainerTest {
    static TrainConfig config(int steps) {
        return new TrainConfig(steps, 64, 2, 0.02, 5, 0.1, 0.01, 0.9, 0.999, 1e-8, 1.0, 0.99, 3, 10, 1, 0, 2);
    }

    static List<Double> losses(Path runDir) throws Exception {
        List<Double> out = new ArrayList<>();
        for (JsonNode n : MetricsLog.read(runDir.resolve("metrics.jsonl"))) out.add(n.get("loss").asDouble());
        return out;
    }

    @Test
    void lossDecreasesAndArtifactsAreWritten(@TempDir Path dir) throws Exception {
        ToyRegression task = new ToyRegression(7);
        Trainer.Outcome o = new Trainer(task, config(200), dir, "toy").run(false);
        task.close();
        assertEquals(200, o.endStep());
        List<Double> l = losses(dir);
        assertEquals(200, l.size());
        double first = l.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = l.subList(190, 200).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < first * 0.3, "loss should fall well below its start: " + first + " → " + last);
        assertTrue(Files.size(dir.resolve("loss.png")) > 1000);
        assertEquals(2, new Checkpoints(dir).list().size(), "keeps only the newest checkpoints");
        assertThrows(InvalidRequestException.class, () -> new Trainer(new ToyRegression(7), config(200), dir, "toy").run(false),
                "refuses to overwrite a run unless asked to resume");
    }

    @Test
    void resumeAfterKillNineRepeatsTheSameLosses(@TempDir Path dir) throws Exception {
        int steps = 40;
        Path reference = dir.resolve("reference"), killed = dir.resolve("killed");
        ToyRegression task = new ToyRegression(7);
        new Trainer(task, config(steps), reference, "reference").run(false);
        task.close();
        List<Double> expected = losses(reference);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ResumeProbe.class.getName(), killed.toString(), Integer.toString(steps), "40")
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (new Checkpoints(killed).list().size() < 2 && System.nanoTime() < deadline && p.isAlive()) Thread.sleep(50);
        assertTrue(p.isAlive(), "child ended before it could be killed: " + Files.readString(dir.resolve("child.log")));
        p.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no final checkpoint
        int done = losses(killed).size();
        assertTrue(done >= 20 && done < steps, "killed mid-run, after " + done + " steps");

        ToyRegression again = new ToyRegression(99); // different init: everything must come from the checkpoint
        Trainer.Outcome o = new Trainer(again, config(steps), killed, "resumed").run(true);
        again.close();
        assertTrue(o.startStep() >= 20 && o.startStep() < steps);
        List<Double> got = losses(killed);
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < expected.size(); i++)
            assertEquals(expected.get(i), got.get(i), 0.0, "loss at step " + (i + 1) + " differs after resume");
        assertFalse(new File(killed.toFile(), "checkpoints").list((d, n) -> n.endsWith(".part")).length > 0, "no temp files left");
    }

    @Test
    void learningRateWarmsUpThenFollowsTheCosine() {
        TrainConfig c = config(100);
        assertEquals(0.02 / 5, c.lrAt(0), 1e-12);
        assertEquals(0.02, c.lrAt(4), 1e-12);
        assertEquals(0.02, c.lrAt(5), 1e-12);
        assertEquals(0.02 * (0.1 + 0.9 * 0.5), c.lrAt(5 + 95 / 2), 2e-4);
        assertEquals(0.002, c.lrAt(100), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig(0, 1, 1, 0.1, 0, 0, 0, 0.9, 0.99, 1e-8, 0, 0, 0, 1, 1, 0, 1));
    }
}
