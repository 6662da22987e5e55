package dev.zoetrope.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VideoRoundTripTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}x{1} at {2} fps, {3} frames")
    @CsvSource({"64, 64, 24, 24", "640, 360, 8, 17", "65, 37, 24, 10", "64, 64, 8, 17"})
    void writeProbeReadRoundTrip(int w, int h, double fps, int frames) {
        Path file = TestClips.writeSmooth(dir.resolve("clip.mp4"), w, h, fps, frames);

        VideoInfo info = VideoProbe.probe(file);
        assertEquals("h264", info.codec());
        assertEquals(w + (w & 1), info.width(), "odd widths are padded to even");
        assertEquals(h + (h & 1), info.height(), "odd heights are padded to even");
        assertEquals(fps, info.fps(), 1e-9);
        assertEquals(frames, info.frameCount());
        assertEquals(frames / fps, info.durationSeconds(), 1e-6);

        try (VideoReader r = VideoReader.open(file)) {
            int n = 0;
            double worst = 0;
            for (Frame f; (f = r.next()) != null; n++) {
                assertEquals(n, f.index());
                assertEquals(n / fps, f.timeSeconds(), 1e-6);
                assertEquals(info.width(), f.width());
                double mae = TestClips.meanAbsError(TestClips.smooth(w, h, n), w, f.rgb(), f.width(), w, h);
                worst = Math.max(worst, mae);
            }
            assertEquals(frames, n);
            assertTrue(worst < 3, "mean abs error after H.264 at CRF 18 was " + worst);
        }
    }

    @Test
    void webmIsVp9WithTheSameFrames() throws java.io.IOException {
        int w = 65, h = 48, frames = 12;
        Path file = TestClips.writeSmooth(dir.resolve("clip.webm"), w, h, 12, frames);
        VideoInfo info = VideoProbe.probe(file);
        assertEquals("vp9", info.codec());
        assertEquals(12, info.fps(), 1e-9);
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(file)) {
            assertEquals(4, in.read(head));
        }
        assertArrayEquals(new byte[]{0x1a, 0x45, (byte) 0xdf, (byte) 0xa3}, head, "an EBML (Matroska/WebM) file");
        try (VideoReader r = VideoReader.open(file)) {
            double worst = 0;
            int n = 0;
            for (Frame f; (f = r.next()) != null; n++)
                worst = Math.max(worst, TestClips.meanAbsError(TestClips.smooth(w, h, n), w, f.rgb(), f.width(), w, h));
            assertEquals(frames, n);
            assertTrue(worst < 4, "mean abs error after VP9 was " + worst);
        }
    }

    @Test
    void metadataTagsRoundTripThroughTheContainer() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("zoetrope.prompt", "a red fox in the snow, \"close-up\" — été\nsecond line");
        tags.put("zoetrope.seed", "9223372036854775806");
        tags.put("zoetrope.loras", "[]");
        Path file = dir.resolve("tagged.mp4");
        try (Mp4Writer out = Mp4Writer.open(file, 32, 32, 8, tags)) {
            for (int i = 0; i < 3; i++) out.write(TestClips.smooth(32, 32, i));
        }
        Map<String, String> read = VideoProbe.metadata(file);
        for (var e : tags.entrySet()) assertEquals(e.getValue(), read.get(e.getKey()), e.getKey());
        // the tags do not disturb the picture
        assertEquals(3, VideoProbe.probe(file).frameCount());

        Path plain = TestClips.writeSmooth(dir.resolve("plain.mp4"), 32, 32, 8, 2);
        assertTrue(VideoProbe.metadata(plain).keySet().stream().noneMatch(k -> k.startsWith("zoetrope.")));
        assertThrows(IllegalArgumentException.class, () -> Mp4Writer.open(dir.resolve("bad.mp4"), 32, 32, 8, Map.of("two words", "x")));
        assertFalse(Files.exists(dir.resolve("bad.mp4")));
    }

    @Test
    void oddSizesRepeatTheLastColumnAndRow() {
        int w = 65, h = 37;
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                rgb[o] = (byte) (x == w - 1 ? 220 : 60);
                rgb[o + 1] = (byte) (y == h - 1 ? 200 : 60);
                rgb[o + 2] = 60;
            }
        }
        Path file = dir.resolve("odd.mp4");
        try (Mp4Writer out = Mp4Writer.open(file, w, h, 24, 0, "medium")) {
            out.write(rgb);
        }
        try (VideoReader r = VideoReader.open(file)) {
            Frame f = r.next();
            assertEquals(66, f.width());
            assertEquals(38, f.height());
            // The padding column copies column 64 (red), the padding row copies row 36 (green).
            assertTrue((f.rgbAt(65, 10) >> 16 & 0xff) > 180, "padded column repeats the last column");
            assertTrue((f.rgbAt(10, 37) >> 8 & 0xff) > 160, "padded row repeats the last row");
        }
    }

    @Test
    void ntscFrameRateIsExact() {
        Path file = TestClips.writeSmooth(dir.resolve("ntsc.mp4"), 64, 64, 23.976, 30);
        VideoInfo info = VideoProbe.probe(file);
        assertEquals(24000.0 / 1001, info.fps(), 1e-9);
        assertEquals(30 * 1001 / 24000.0, info.durationSeconds(), 1e-6);
        try (VideoReader r = VideoReader.open(file)) {
            Frame f = null;
            for (int i = 0; i < 30; i++) f = r.next();
            assertEquals(29 * 1001 / 24000.0, f.timeSeconds(), 1e-6);
            assertNull(r.next());
        }
    }

    @Test
    void seekReturnsTheFirstFrameAtOrAfterTheTime() {
        Path file = dir.resolve("numbered.mp4");
        int frames = 48;
        try (Mp4Writer out = Mp4Writer.open(file, 64, 48, 24)) {
            for (int i = 0; i < frames; i++) out.write(TestClips.numbered(64, 48, i));
        }
        try (VideoReader r = VideoReader.open(file)) {
            r.seek(1.0);
            Frame f = r.next();
            assertEquals(24, f.index());
            assertEquals(1.0, f.timeSeconds(), 1e-9);
            assertEquals(24, TestClips.numberOf(f));
            assertEquals(25, r.next().index(), "reading continues after a seek");

            r.seek(0.51); // between frames 12 (0.5 s) and 13 (0.5417 s)
            f = r.next();
            assertEquals(13, f.index());
            assertEquals(13, TestClips.numberOf(f));

            while (r.next() != null) { /* read to the end */ }
            r.seek(0); // back to the start after the end of the stream
            f = r.next();
            assertEquals(0, f.index());
            assertEquals(0, TestClips.numberOf(f));

            r.seek(47 / 24.0);
            assertEquals(47, TestClips.numberOf(r.next()));
            assertNull(r.next());

            r.seek(10); // past the end
            assertNull(r.next());
        }
    }

    @Test
    void scaledReadResizesEveryFrame() {
        int w = 640, h = 360;
        Path file = TestClips.writeSmooth(dir.resolve("big.mp4"), w, h, 8, 4);
        try (VideoReader r = VideoReader.open(file, 64, 36)) {
            assertEquals(640, r.info().width(), "info keeps the file's size");
            int n = 0;
            for (Frame f; (f = r.next()) != null; n++) {
                assertEquals(64, f.width());
                assertEquals(36, f.height());
                byte[] expected = boxDownscale(TestClips.smooth(w, h, n), w, h, 10);
                double mae = TestClips.meanAbsError(expected, 64, f.rgb(), 64, 64, 36);
                assertTrue(mae < 4, "scaled frame differs from the box-averaged source by " + mae);
            }
            assertEquals(4, n);
        }
    }

    @Test
    void sameFramesGiveTheSameBytes() throws Exception {
        byte[] first = null;
        for (int run = 0; run < 12; run++) {
            Path file = TestClips.writeSmooth(dir.resolve("run" + run + ".mp4"), 64, 64, 8, 17);
            byte[] bytes = Files.readAllBytes(file);
            if (first == null) first = bytes;
            else assertArrayEquals(first, bytes, "run " + run + " differs from run 0");
        }
    }

    @Test
    void writerRenamesOnlyOnClose() throws Exception {
        Path file = dir.resolve("atomic.mp4");
        Mp4Writer out = Mp4Writer.open(file, 32, 32, 8);
        out.write(TestClips.smooth(32, 32, 0));
        assertFalse(Files.exists(file), "nothing at the target before close");
        out.close();
        assertTrue(Files.exists(file));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "the temporary file is gone");
        }
    }

    /**
     * Odd-sized 4:2:0 video, which H.264 cannot hold, from a YUV4MPEG2 file (a text header plus raw
     * planes): every row must land in place and the sizes must stay odd.
     */
    @Test
    void oddSizedYuv420IsReadExactly() throws Exception {
        int w = 65, h = 37, frames = 3, cw = (w + 1) / 2, ch = (h + 1) / 2;
        var bytes = new java.io.ByteArrayOutputStream();
        bytes.writeBytes(("YUV4MPEG2 W" + w + " H" + h + " F24:1 Ip A1:1 C420jpeg\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (int t = 0; t < frames; t++) {
            bytes.writeBytes("FRAME\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bytes.write(luma(x, y, t));
            for (int i = 0; i < 2 * cw * ch; i++) bytes.write(128); // neutral chroma: greys
        }
        Path file = java.nio.file.Files.write(dir.resolve("odd.y4m"), bytes.toByteArray());
        VideoInfo info = VideoProbe.probe(file);
        assertEquals(65, info.width());
        assertEquals(37, info.height());
        assertEquals(24.0, info.fps(), 1e-9);
        try (VideoReader r = VideoReader.open(file)) {
            int n = 0;
            for (Frame f; (f = r.next()) != null; n++) {
                assertEquals(65, f.width());
                assertEquals(37, f.height());
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        // Limited-range luma to full-range grey: (Y - 16) * 255 / 219.
                        int expected = (int) Math.round((luma(x, y, n) - 16) * 255.0 / 219.0);
                        int got = f.rgbAt(x, y);
                        assertEquals(expected, got >> 16 & 0xff, 2, "red at " + x + "," + y);
                        assertEquals(expected, got & 0xff, 2, "blue at " + x + "," + y);
                    }
                }
            }
            assertEquals(frames, n);
        }
        try (VideoReader r = VideoReader.open(file, 33, 19)) {
            Frame f = r.next();
            assertEquals(33, f.width());
            assertEquals(19, f.height());
        }
    }

    private static int luma(int x, int y, int t) {
        return 16 + (3 * x + 2 * y + 5 * t) % 200;
    }

    @Test
    void awkwardFileNamesWork() {
        for (String name : List.of("take:2.mp4", "clip with spaces.mp4", "клип é%20.mp4")) {
            Path file = TestClips.writeSmooth(dir.resolve(name), 32, 32, 16, 3);
            assertEquals(3, VideoProbe.probe(file).frameCount(), name);
            assertEquals(16.0, VideoProbe.probe(file).fps(), 1e-9, name);
            try (VideoReader r = VideoReader.open(file)) {
                assertNotNull(r.next(), name);
            }
        }
    }

    @Test
    void frameRecordAndImagesAgree() {
        byte[] rgb = TestClips.smooth(5, 3, 0);
        Frame f = new Frame(5, 3, rgb, 7, 0.5);
        Frame back = FrameImages.fromImage(FrameImages.toImage(f), 7, 0.5);
        assertArrayEquals(rgb, back.rgb());
        assertNotNull(f.toString());
    }

    private static byte[] boxDownscale(byte[] rgb, int w, int h, int k) {
        int ow = w / k, oh = h / k;
        byte[] out = new byte[ow * oh * 3];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                for (int c = 0; c < 3; c++) {
                    int sum = 0;
                    for (int dy = 0; dy < k; dy++) {
                        for (int dx = 0; dx < k; dx++) sum += rgb[((y * k + dy) * w + x * k + dx) * 3 + c] & 0xff;
                    }
                    out[(y * ow + x) * 3 + c] = (byte) Math.round((double) sum / (k * k));
                }
            }
        }
        return out;
    }
}
