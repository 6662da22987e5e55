package dev.zoetrope.video;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;

class ClipFilesTest {
    @TempDir
    Path tmp;

    static byte[] frame(int w, int h, int shade) {
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) (shade + i % 7);
        return rgb;
    }

    long entries() throws IOException {
        try (var s = Files.list(tmp)) {
            return s.count();
        }
    }

    @Test
    void finishWritesMp4PngsAndGifAtOnce() throws IOException {
        Path mp4 = tmp.resolve("a.mp4"), png = tmp.resolve("frames"), gif = tmp.resolve("a.gif");
        ClipFiles c = ClipFiles.open(mp4, 16, 8, 8, new ClipFiles.Extras(png, gif));
        for (int i = 0; i < 5; i++) c.frame(frame(16, 8, 20 * i));
        assertFalse(Files.exists(mp4) || Files.exists(png) || Files.exists(gif), "nothing at the targets before finish");
        c.finish();
        assertEquals(5, VideoProbe.probe(mp4).frameCount());
        try (var s = Files.list(png)) {
            assertEquals(5, s.count());
        }
        assertTrue(Files.isRegularFile(png.resolve("frame_00004.png")));
        assertTrue(Files.size(gif) > 0);
        assertEquals(3, entries(), "no temporary files left");
    }

    @Test
    void abortLeavesNothing() throws IOException {
        ClipFiles c = ClipFiles.open(tmp.resolve("b.mp4"), 16, 8, 8, new ClipFiles.Extras(tmp.resolve("frames"), tmp.resolve("b.gif")));
        c.frame(frame(16, 8, 3));
        c.abort();
        assertEquals(0, entries());
    }

    @Test
    void aNonEmptyFramesDirectoryIsRefusedUpFront() throws IOException {
        Files.createDirectories(tmp.resolve("frames"));
        Files.writeString(tmp.resolve("frames/keep.txt"), "mine");
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> ClipFiles.open(tmp.resolve("c.mp4"), 16, 8, 8, new ClipFiles.Extras(tmp.resolve("frames"), null)));
        assertTrue(e.getMessage().contains("not an empty directory"), e.getMessage());
        assertEquals("mine", Files.readString(tmp.resolve("frames/keep.txt")));
        assertEquals(1, entries());
    }
}
