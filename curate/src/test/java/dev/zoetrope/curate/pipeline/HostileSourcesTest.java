package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.video.Frame;
import dev.zoetrope.video.SyntheticSources;
import dev.zoetrope.video.VideoProbe;
import dev.zoetrope.video.VideoReader;
import dev.zoetrope.video.VideoTooLargeException;

/** Sources made to hurt: a header declaring a huge picture, and a download cut off half way. */
class HostileSourcesTest {
    @TempDir
    Path dir;

    private CurateOptions options(String... sources) {
        return CurateOptions.defaults(List.of(sources), dir.resolve("out").toString()).withSize(64, 64);
    }

    @Test
    void aHeaderDeclaring16000x16000IsRefusedBeforeDecoding() throws Exception {
        Path small = dir.resolve("small.mp4");
        SyntheticSources.render(SyntheticSources.smptebars(64, 64, 8, 3), small, 24);
        Path huge = DeclaredSize.rewrite(small, dir.resolve("huge.mp4"), 16000, 16000);
        assertTrue(Files.size(huge) < 20_000, "the fixture stays tiny: " + Files.size(huge));
        VideoTooLargeException e = assertThrows(VideoTooLargeException.class,
                () -> VideoProbe.probe(huge, CurateOptions.DEFAULT_MAX_SOURCE_PIXELS));
        assertEquals(16000, e.width());
        assertEquals(16000, e.height());

        ClipExtractor.Extracted x = new ClipExtractor(options(huge.toString())).extract(huge.toString());
        assertEquals("too_large", x.report().status(), x.report().message());
        assertTrue(x.report().message().contains("16000x16000") && x.report().message().contains("--max-source-size"),
                x.report().message());
        assertTrue(x.clips().isEmpty());

        // The limit is the caller's: the small file passes the default and is refused below its own size.
        assertEquals("ok", new ClipExtractor(options(small.toString())).extract(small.toString()).report().status());
        ClipExtractor.Extracted tight = new ClipExtractor(options(small.toString()).withMaxSourcePixels(32 * 32))
                .extract(small.toString());
        assertEquals("too_large", tight.report().status());
        assertTrue(tight.report().message().contains("64x64"), tight.report().message());
    }

    @Test
    void aTruncatedFaststartFileKeepsWhatDecodesAndSaysSo() throws Exception {
        Path whole = dir.resolve("whole.mp4");
        SyntheticSources.render(SyntheticSources.testsrc2(64, 64, 24, 12), whole, 12 * 24);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.mp4"), Arrays.copyOf(bytes, bytes.length / 2));
        int decodable = 0;
        try (VideoReader r = VideoReader.open(cut)) {
            for (Frame f; (f = r.next()) != null; ) decodable++;
        } catch (dev.zoetrope.video.VideoException expected) {
            // the reader itself stays strict; the curation keeps the frames before the break
        }
        assertTrue(decodable >= 4 * 24 && decodable < 12 * 24, "decodable frames " + decodable);

        ClipExtractor.Extracted x = new ClipExtractor(options(cut.toString())).extract(cut.toString());
        SourceReport r = x.report();
        assertEquals("truncated", r.status(), r.message());
        assertTrue(r.message().contains("truncated or corrupt") && r.message().contains("kept the first " + decodable + " frames"),
                r.message());
        assertEquals(decodable, r.frames());
        assertTrue(x.clips().size() >= 1, "clips " + x.clips().size());
        for (ClipResult c : x.clips()) {
            assertTrue(c.endS() <= decodable / 24.0 + 1e-9, c.clipId() + " ends at " + c.endS());
            assertEquals(c.frames(), VideoReader.readAll(dir.resolve("out/clips/" + c.clipId() + ".mp4")).size());
        }
        assertEquals(x.clips().stream().map(ClipResult::clipId).toList(), r.clipIds());

        // Through the pipeline: the source counts as usable, its clips are decided, and the problem is reported.
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path huge = DeclaredSize.rewrite(whole, dir.resolve("huge.mp4"), 16000, 16000);
        Finalizer.Summary s = CuratePipeline.run(options(cut.toString(), huge.toString()), "DirectRunner", List.of(),
                ShardExtras.NONE, new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(Map.of("truncated", 1, "too_large", 1), s.sourceProblems());
        assertEquals(1, s.sourcesOk());
        assertEquals(x.clips().size(), s.clips());
        assertTrue(text.contains("kept " + x.clips().size() + " clip(s) of " + cut + ": truncated"), text);
        assertTrue(text.contains("skipped " + huge + ": too_large"), text);
        String report = Files.readString(dir.resolve("out/report.html"));
        assertTrue(report.contains("truncated") && report.contains("too_large"), "report lists both problems");
    }
}
