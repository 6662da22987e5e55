package dev.zoetrope.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad files and failed writes: clear errors that name the file, no crash, nothing half-written. */
class BrokenInputTest {
    @TempDir
    Path dir;

    @Test
    void missingFile() {
        Path file = dir.resolve("nowhere.mp4");
        VideoException e = assertThrows(VideoException.class, () -> VideoProbe.probe(file));
        assertTrue(e.getMessage().contains("nowhere.mp4") && e.getMessage().contains("no such file"), e.getMessage());
        assertThrows(VideoException.class, () -> VideoReader.open(file));
    }

    @Test
    void emptyFile() throws Exception {
        Path file = Files.createFile(dir.resolve("empty.mp4"));
        VideoException e = assertThrows(VideoException.class, () -> VideoProbe.probe(file));
        assertTrue(e.getMessage().contains("empty.mp4") && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void textFileNamedMp4() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.mp4"), "These are meeting notes, not a video.\n".repeat(50));
        VideoException e = assertThrows(VideoException.class, () -> VideoProbe.probe(file));
        assertTrue(e.getMessage().contains("notes.mp4") && e.getMessage().contains("not a readable video"), e.getMessage());
        assertThrows(VideoException.class, () -> VideoReader.open(file));
    }

    @Test
    void directoryIsNotAVideo() {
        VideoException e = assertThrows(VideoException.class, () -> VideoProbe.probe(dir));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
    }

    @Test
    void imageHasNoVideoStreamButPngDecodes() throws Exception {
        Path png = dir.resolve("still.png");
        FrameImages.writePng(png, new Frame(8, 6, TestClips.smooth(8, 6, 0), 0, 0));
        // A PNG is a one-frame "video" to FFmpeg; it must decode to the same pixels.
        try (VideoReader r = VideoReader.open(png)) {
            Frame f = r.next();
            assertEquals(8, f.width());
            assertTrue(TestClips.meanAbsError(TestClips.smooth(8, 6, 0), 8, f.rgb(), 8, 8, 6) < 1.0);
        }
    }

    @Test
    void truncatedMp4FailsWithTheFileName() throws Exception {
        Path good = TestClips.writeSmooth(dir.resolve("good.mp4"), 160, 120, 24, 48);
        byte[] bytes = Files.readAllBytes(good);
        Path cut = Files.write(dir.resolve("cut.mp4"), Arrays.copyOf(bytes, bytes.length / 2));
        // The index is at the front (faststart), so the header still parses; the missing frames must fail loudly.
        VideoException e = assertThrows(VideoException.class, () -> {
            try (VideoReader r = VideoReader.open(cut)) {
                while (r.next() != null) { /* decode everything */ }
            }
        });
        assertTrue(e.getMessage().contains("cut.mp4") && e.getMessage().contains("truncated"), e.getMessage());
        // The header alone is also a broken file.
        Path stub = Files.write(dir.resolve("stub.mp4"), Arrays.copyOf(bytes, 40));
        VideoException e2 = assertThrows(VideoException.class, () -> VideoProbe.probe(stub));
        assertTrue(e2.getMessage().contains("stub.mp4"), e2.getMessage());
    }

    @Test
    void aPictureAboveTheCallersLimitIsRefusedWithItsSize() throws Exception {
        Path clip = TestClips.writeSmooth(dir.resolve("clip.mp4"), 160, 120, 24, 4);
        assertEquals(160, VideoProbe.probe(clip, 160 * 120).width(), "the limit itself is allowed");
        VideoTooLargeException e = assertThrows(VideoTooLargeException.class, () -> VideoProbe.probe(clip, 160 * 120 - 1));
        assertEquals(160, e.width());
        assertEquals(120, e.height());
        assertTrue(e.getMessage().contains("clip.mp4") && e.getMessage().contains("160x120"), e.getMessage());
    }

    @Test
    void garbageInTheMiddleDoesNotCrash() throws Exception {
        Path good = TestClips.writeSmooth(dir.resolve("good.mp4"), 160, 120, 24, 24);
        byte[] bytes = Files.readAllBytes(good);
        for (int i = bytes.length / 3; i < bytes.length * 2 / 3; i += 7) bytes[i] ^= 0x5a;
        Path bad = Files.write(dir.resolve("scrambled.mp4"), bytes);
        // Either decodes with concealment or fails with a VideoException; never a JVM crash.
        try (VideoReader r = VideoReader.open(bad)) {
            int n = 0;
            while (r.next() != null) n++;
            assertTrue(n <= 24);
        } catch (VideoException e) {
            assertTrue(e.getMessage().contains("scrambled.mp4"), e.getMessage());
        }
    }

    @Test
    void abortLeavesNothing() throws Exception {
        Path out = dir.resolve("aborted.mp4");
        Mp4Writer w = Mp4Writer.open(out, 64, 64, 8);
        w.write(TestClips.smooth(64, 64, 0));
        w.write(TestClips.smooth(64, 64, 1));
        w.abort();
        w.abort(); // idempotent
        w.close(); // after abort, close does nothing
        assertEmpty();
    }

    @Test
    void failedWriteDiscardsTheFile() throws Exception {
        Path out = dir.resolve("wrong.mp4");
        Mp4Writer w = Mp4Writer.open(out, 64, 64, 8);
        w.write(TestClips.smooth(64, 64, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.write(new byte[10]));
        assertTrue(e.getMessage().contains("wrong.mp4"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> w.write(TestClips.smooth(64, 64, 1)));
        assertEmpty();
    }

    @Test
    void closingWithoutFramesWritesNothing() throws Exception {
        Path out = dir.resolve("none.mp4");
        Mp4Writer w = Mp4Writer.open(out, 64, 64, 8);
        VideoException e = assertThrows(VideoException.class, w::close);
        assertTrue(e.getMessage().contains("no frames"), e.getMessage());
        assertEmpty();
    }

    @Test
    void existingFileIsKeptUntilTheNewOneIsComplete() throws Exception {
        Path out = dir.resolve("keep.mp4");
        Files.writeString(out, "old");
        Mp4Writer w = Mp4Writer.open(out, 32, 32, 8);
        w.write(TestClips.smooth(32, 32, 0));
        w.abort();
        assertEquals("old", Files.readString(out, StandardCharsets.UTF_8));
    }

    @Test
    void badWriterArgumentsAreRejectedUpFront() {
        Path out = dir.resolve("x.mp4");
        assertThrows(IllegalArgumentException.class, () -> Mp4Writer.open(out, 0, 64, 8));
        assertThrows(IllegalArgumentException.class, () -> Mp4Writer.open(out, 64, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> Mp4Writer.open(out, 64, 64, 8, 60, "medium"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Mp4Writer.open(out, 64, 64, 8, 18, "warp-speed"));
        assertTrue(e.getMessage().contains("warp-speed"));
        assertFalse(Files.exists(out));
    }

    private void assertEmpty() throws Exception {
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "no output and no temporary file left");
        }
    }
}
