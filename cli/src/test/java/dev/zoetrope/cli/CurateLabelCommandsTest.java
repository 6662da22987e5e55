package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurateLabelCommandsTest {
    @TempDir
    Path dir;

    @Test
    void curateWithoutInputsIsAUserError() {
        assertEquals(2, Main.run("curate"));
        assertEquals(2, Main.run("curate", "--in", dir.toString(), "--out", dir.resolve("o").toString(), "--resolution", "wide"));
    }

    @Test
    void theSourceSizeLimitIsAnOptionAndATooLargeSourceIsReportedNotFatal() throws Exception {
        CliRun bad = CliRun.of("curate", "--in", dir.toString(), "--out", dir.resolve("o").toString(), "--max-source-size", "huge");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--max-source-size must be WxH or a pixel count"), bad.toString());

        Path video = dir.resolve("bars.mp4");
        dev.zoetrope.video.SyntheticSources.render(dev.zoetrope.video.SyntheticSources.smptebars(64, 64, 8, 3), video, 24);
        CliRun r = CliRun.of("curate", "--in", video.toString(), "--out", dir.resolve("o").toString(), "--resolution", "32x32",
                "--max-source-size", "48x48");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("1 sources (0 usable, problems {too_large=1})"), r.toString());
        assertTrue(r.err().contains("declares 64x64 pictures"), r.toString());
    }

    @Test
    void latentOptionsFailCleanlyBeforeAnyWork() {
        Path model = Path.of(System.getProperty("zoetrope.home")).resolve("models/zoetrope-tiny");
        String in = dir.toString(), out = dir.resolve("o").toString();
        CliRun both = CliRun.of("curate", "--in", in, "--out", out, "--latents-from", model.toString(), "--vae", model.toString());
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("drop --vae and --tokenizer"), both.toString());
        CliRun size = CliRun.of("curate", "--in", in, "--out", out, "--resolution", "100x60", "--latents-from", model.toString());
        assertEquals(2, size.exit());
        assertTrue(size.err().contains("multiples of 8") && size.err().contains("try --resolution 96x56"), size.toString());
        assertFalse(Files.exists(dir.resolve("o/clips")), "nothing was cut");
    }

    @Test
    void trainOnShardsNamesTheClipThatCannotFeedTheDit() throws Exception {
        Path shards = dir.resolve("shards");
        try (var w = dev.zoetrope.train.shards.ShardWriter.open(shards, 4)) {
            w.add(dev.zoetrope.train.shards.ClipRecord.of("c1", "a red circle", "s.mp4", 0, 1, 8, 32, 32, 9, java.util.Map.of()),
                    java.util.List.of(dev.zoetrope.train.shards.ShardTensor.f32("latents", new long[]{4, 3, 4, 4}, new float[192]),
                            dev.zoetrope.train.shards.ShardTensor.textIds(new int[]{5, 1})));
            w.add(dev.zoetrope.train.shards.ClipRecord.of("c2", "a red circle", "s.mp4", 1, 2, 8, 32, 32, 5, java.util.Map.of()),
                    java.util.List.of(dev.zoetrope.train.shards.ShardTensor.f32("latents", new long[]{4, 2, 4, 4}, new float[128]),
                            dev.zoetrope.train.shards.ShardTensor.textIds(new int[]{5, 1})));
        }
        // micro's DiT takes 4 latent channels in (1, 2, 2) patches: c1 fits, c2 has another length.
        CliRun r = CliRun.of("train", "--recipe", "micro", "--shards", shards.toString(), "--work", dir.resolve("w").toString(),
                "--tokenizer", Path.of(System.getProperty("zoetrope.home")).resolve("models/zoetrope-tiny/t5/tokenizer").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("clip c2 has latents [4, 2, 4, 4]") && r.err().contains("--min-seconds"), r.toString());
        assertEquals(2, CliRun.of("train", "--recipe", "micro", "--shards", shards.toString()).exit(), "--shards needs --work");
    }

    @Test
    void labelImportAgreementAndExportRoundTrip() throws Exception {
        Path in = dir.resolve("ls.json");
        Files.writeString(in, """
                [{"data":{"video":"clips/a.mp4","clip_id":"a"},"annotations":[
                   {"completed_by":{"email":"ann"},"result":[{"from_name":"overall","to_name":"video","type":"rating","value":{"rating":4}}]},
                   {"completed_by":7,"result":[{"from_name":"overall","to_name":"video","type":"rating","value":{"rating":4}}]}]}]""");
        Path db = dir.resolve("labels.sqlite");
        assertEquals(0, Main.run("label", "import", "--db", db.toString(), "--in", in.toString()));
        assertEquals(0, Main.run("label", "agreement", "--db", db.toString()));
        Path out = dir.resolve("out.json");
        assertEquals(0, Main.run("label", "export", "--db", db.toString(), "--out", out.toString()));
        String text = Files.readString(out);
        assertTrue(text.contains("\"user-7\"") && text.contains("\"ann\"") && text.contains("\"rating\" : 4"), text);
    }
}
