package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.curate.filter.LabelTrainer;
import dev.zoetrope.curate.labels.LabelStore;
import dev.zoetrope.curate.testset.GroundTruth;
import dev.zoetrope.curate.testset.Scene;
import dev.zoetrope.curate.testset.TestSetMaker;
import dev.zoetrope.train.shards.ShardClip;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.video.Mp4Writer;

/** The whole pipeline on a small corpus, on the embedded Direct runner. */
class CuratePipelineTest {
    @TempDir
    static Path dir;
    static GroundTruth truth;

    @BeforeAll
    static void corpus() throws Exception {
        truth = new TestSetMaker(dir.resolve("testset"), TestSetMaker.Size.SMALL, new PrintStream(new ByteArrayOutputStream())).make();
        // A clip in the synthetic world's layout: 64x64, 17 frames at 8 fps, caption in a JSON sidecar.
        Path videos = dir.resolve("testset/videos");
        Scene s = new Scene(77, 10, 3);
        try (Mp4Writer w = Mp4Writer.open(videos.resolve("synth_0001.mp4"), 64, 64, 8)) {
            for (int f = 0; f < 17; f++) w.write(s.render(f, 64, 64).rgb());
        }
        Files.writeString(videos.resolve("synth_0001.json"), "{\"caption\": \"a red circle moving left on a black background\"}");
    }

    private static CurateOptions options(Path out) {
        CurateOptions o = CurateOptions.defaults(List.of(dir.resolve("testset/videos").toString()), out.toString()).withSize(96, 54);
        // Synthetic-world clips are ~2 s: keep every frame of them.
        return new CurateOptions(o.inputs(), o.out(), 2.0, 5.0, 24, 96, 54, 0, o.filter(), null, null, 4, o.crf());
    }

    @Test
    void curatesEndToEndIntoShardsManifestAndReportAndSkipsDoneWorkOnRerun() throws Exception {
        Path out = dir.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ShardExtras ids = (clip, caption, frames) -> caption.isEmpty() ? List.of()
                : List.of(ShardTensor.textIds(caption.chars().toArray()));
        Finalizer.Summary s = CuratePipeline.run(options(out), "DirectRunner", List.of(), ids, new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("broken.mp4: broken"), text);
        assertTrue(text.contains("too_short.mp4: too_short"), text);
        assertEquals(truth.cutVideos().size() + truth.clips().size() + 3, s.sources());

        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("manifest.jsonl"))) lines.add(Json.PLAIN.readTree(l));
        assertEquals(s.clips(), lines.size());
        Set<String> keys = Set.of("clip_id", "source", "start_s", "end_s", "width", "height", "fps", "signals", "duplicate_of", "decision", "reasons");
        int accepted = 0;
        for (JsonNode j : lines) {
            Set<String> got = new java.util.HashSet<>();
            j.fieldNames().forEachRemaining(got::add);
            assertEquals(keys, got);
            Set<String> sig = new java.util.HashSet<>();
            j.get("signals").fieldNames().forEachRemaining(sig::add);
            assertEquals(Set.of("motion", "sharpness", "brightness", "visible", "text", "border", "aesthetic"), sig);
            assertEquals(96, j.get("width").asInt());
            assertEquals(24.0, j.get("fps").asDouble());
            if (j.get("decision").asText().equals("accept")) {
                accepted++;
                assertEquals(0, j.get("reasons").size());
            } else assertTrue(j.get("reasons").size() > 0);
        }
        assertEquals(s.accepted(), accepted);
        assertTrue(accepted >= 4, "accepted " + accepted);
        // Each kind of degraded clip is rejected for its own reason.
        for (GroundTruth.Clip c : truth.clips()) {
            JsonNode line = lines.stream().filter(j -> j.get("source").asText().endsWith("/" + c.file())).findFirst().orElseThrow();
            for (String reason : c.expect())
                assertTrue(line.get("reasons").toString().contains(reason), c.file() + " " + line.get("reasons"));
            if (c.expect().isEmpty()) assertEquals("accept", line.get("decision").asText(), c.file() + " " + line);
        }

        try (ShardReader r = ShardReader.open(out.resolve("shards"))) {
            assertEquals(accepted, r.size());
            boolean sawSynth = false;
            for (ShardClip c : r) {
                long[] shape = c.record().tensors().get(ShardTensor.FRAMES).shape();
                assertEquals(54, shape[1]);
                assertEquals(3, shape[3]);
                assertEquals(shape[0] * 54 * 96 * 3, c.bytes(ShardTensor.FRAMES).length);
                if (c.record().source().endsWith("synth_0001.mp4")) {
                    sawSynth = true;
                    assertEquals("a red circle moving left on a black background", c.record().caption());
                    assertEquals(c.record().caption().length(), c.bytes(ShardTensor.TEXT_IDS).length / 4);
                }
            }
            assertTrue(sawSynth, "the synthetic-world clip reaches the shards with its sidecar caption");
        }
        String report = Files.readString(out.resolve("report.html"));
        assertTrue(report.contains("<svg") && report.contains("Rejected: static") && report.contains("clips/"));

        // Re-run: every source is done, so nothing is decoded again and the results are the same.
        Path marker;
        try (var m = Files.list(out.resolve("work/sources"))) {
            marker = m.findFirst().orElseThrow();
        }
        FileTime before = Files.getLastModifiedTime(marker);
        String manifest = Files.readString(out.resolve("manifest.jsonl"));
        Finalizer.Summary again = CuratePipeline.run(options(out), "DirectRunner", List.of(), ids, new PrintStream(new ByteArrayOutputStream()));
        assertEquals(before, Files.getLastModifiedTime(marker));
        assertEquals(manifest, Files.readString(out.resolve("manifest.jsonl")));
        assertEquals(s.shardClips(), again.shardClips());

        // Hand labels (here: degraded clips rated 1–2 by two annotators, clean ones 4–5) train the learned filter...
        try (LabelStore store = LabelStore.open(dir.resolve("labels.sqlite"))) {
            for (JsonNode j : lines) {
                String file = Path.of(j.get("source").asText()).getFileName().toString();
                // Duplicates look as good as their originals: how they look is all a rater (and the model) sees.
                boolean good = truth.clips().stream().anyMatch(c -> c.file().equals(file)
                        && (c.expect().isEmpty() || c.duplicateOf() != null))
                        || file.startsWith("synth") || file.startsWith("cuts");
                String id = j.get("clip_id").asText();
                store.addClips(List.of(new LabelStore.Clip(id, "clips/" + id + ".mp4", null, null)));
                store.save(id, "ann", Map.of("overall", good ? "5" : "1"));
                store.save(id, "bob", Map.of("overall", good ? "4" : "2"));
            }
            // L2 strength 1, the command's default: the corpus mixes five kinds of content, and stronger shrinkage
            // (10) blurs the few clean-vs-degraded directions a small sample has.
            LabelTrainer.Result trained = LabelTrainer.train(store, out.resolve("features.jsonl"), "overall", 4, 1.0, 5, 0.5);
            assertTrue(trained.cv().auc() > 0.8, "cross-validated AUC " + trained.cv().auc());
            trained.model().save(dir.resolve("model.json"));
        }
        // ...which the pipeline then applies: every clip gets an aesthetic score, low ones are rejected for it.
        Finalizer.Summary scored = CuratePipeline.run(options(out).withModel(dir.resolve("model.json").toString()), "DirectRunner",
                List.of(), ids, new PrintStream(new ByteArrayOutputStream()));
        List<JsonNode> rescored = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("manifest.jsonl"))) rescored.add(Json.PLAIN.readTree(l));
        assertTrue(rescored.stream().allMatch(j -> j.get("signals").get("aesthetic").isNumber()));
        assertTrue(scored.rejectedBy().get("low_aesthetic") > 0, scored.rejectedBy().toString());
        assertTrue(scored.accepted() >= 3, "accepted " + scored.accepted());
    }

    /**
     * The VLM stage inside the pipeline, against a TEST DOUBLE: a local HTTP server on 127.0.0.1 imitating an
     * OpenAI-compatible chat-completions endpoint with a canned answer. No real model is contacted.
     */
    @Test
    void vlmCaptionsClipsWithoutSidecarsRejectsOnItsVerdictAndCachesAnswers() throws Exception {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                // The second distinct clip asked is judged unfit; the others are kept with a caption.
                boolean keep = calls.incrementAndGet() != 2;
                byte[] body = ("{\"choices\":[{\"message\":{\"content\":\"{\\\"caption\\\": \\\"shapes drift over a gradient\\\", "
                        + "\\\"keep\\\": " + keep + "}\"}}]}").getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
        try {
            Path videos = dir.resolve("testset/videos");
            Path out = dir.resolve("vlm-run");
            CurateOptions base = options(out);
            CurateOptions o = new CurateOptions(List.of(videos.resolve("clean_00.mp4").toString(), videos.resolve("clean_01.mp4").toString(),
                    videos.resolve("clean_02.mp4").toString(), videos.resolve("synth_0001.mp4").toString()), out.toString(),
                    base.minClipSeconds(), base.maxClipSeconds(), base.fps(), base.width(), base.height(), base.trimFrames(), base.filter(),
                    null, new CurateOptions.VlmSettings("http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "test-vlm", null, 50, 5, 1, 3),
                    4, base.crf());
            Finalizer.Summary s = CuratePipeline.run(o, "DirectRunner", List.of(), ShardExtras.NONE, new PrintStream(new ByteArrayOutputStream()));
            assertEquals(4, calls.get());
            assertEquals(1, s.rejectedBy().get("vlm_reject"));
            assertEquals(3, s.accepted());
            try (ShardReader r = ShardReader.open(out.resolve("shards"))) {
                for (ShardClip c : r) {
                    String expected = c.record().source().endsWith("synth_0001.mp4") ? "a red circle moving left on a black background"
                            : "shapes drift over a gradient";
                    assertEquals(expected, c.record().caption());
                }
            }
            CuratePipeline.run(o, "DirectRunner", List.of(), ShardExtras.NONE, new PrintStream(new ByteArrayOutputStream()));
            assertEquals(4, calls.get(), "answers come from the cache on a re-run");
        } finally {
            server.stop(0);
        }
    }
}
