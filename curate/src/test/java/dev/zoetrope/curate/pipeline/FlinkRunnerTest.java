package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.curate.testset.TestSetMaker;
import dev.zoetrope.train.shards.ShardClip;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;

/**
 * The same curation on Apache Flink (an embedded {@code [local]} cluster, 2 parallel tasks) and on the Direct runner:
 * the same decisions for every clip and the same shard contents.
 */
class FlinkRunnerTest {
    @TempDir
    Path dir;

    @Test
    void flinkDecidesAndShardsAsTheDirectRunnerDoes() throws Exception {
        new TestSetMaker(dir.resolve("testset"), TestSetMaker.Size.SMALL, new PrintStream(new ByteArrayOutputStream())).make();
        ShardExtras ids = (clip, caption, frames) -> List.of(ShardTensor.textIds(clip.clipId().chars().toArray()));
        Path direct = dir.resolve("direct"), flink = dir.resolve("flink");
        Finalizer.Summary a = CuratePipeline.run(options(direct), "DirectRunner", List.of(), ids, quiet());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Finalizer.Summary b = CuratePipeline.run(options(flink), "FlinkRunner", List.of("--flinkMaster=[local]", "--parallelism=2"),
                ids, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("runner FlinkRunner"), log.toString(StandardCharsets.UTF_8));
        assertEquals(a, b, "the same summary");
        assertTrue(a.accepted() > 0 && a.accepted() < a.clips(), "a corpus with accepted and rejected clips: " + a);
        assertEquals(Files.readAllLines(direct.resolve("manifest.jsonl")), Files.readAllLines(flink.resolve("manifest.jsonl")),
                "the same decision for every clip, line for line");
        assertEquals(shardContents(direct), shardContents(flink), "the same clips, frames and extras in the shards");
    }

    private CurateOptions options(Path out) {
        CurateOptions o = CurateOptions.defaults(List.of(dir.resolve("testset/videos").toString()), out.toString()).withSize(96, 54);
        return new CurateOptions(o.inputs(), o.out(), 2.0, 5.0, 24, 96, 54, 0, o.filter(), null, null, 4, o.crf());
    }

    /** clip id → a digest of its caption and tensors. */
    static Map<String, String> shardContents(Path run) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (ShardReader r = ShardReader.open(run.resolve("shards"))) {
            for (ShardClip c : r) {
                var sha = java.security.MessageDigest.getInstance("SHA-256");
                sha.update(c.record().caption().getBytes(StandardCharsets.UTF_8));
                for (String t : new TreeMap<>(c.record().tensors()).keySet()) sha.update(c.bytes(t));
                out.put(c.record().clipId(), HexFormat.of().formatHex(sha.digest()));
            }
        }
        return out;
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }
}
