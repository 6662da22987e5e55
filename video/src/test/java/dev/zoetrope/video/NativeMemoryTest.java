package dev.zoetrope.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Repeated open/use/close cycles must free every native structure: resident memory stays flat. */
class NativeMemoryTest {
    @TempDir
    Path dir;

    @Test
    void openCloseCyclesDoNotLeak() throws IOException {
        Path source = TestClips.writeSmooth(dir.resolve("source.mp4"), 320, 240, 24, 6);
        byte[] picture = TestClips.smooth(320, 240, 0);
        for (int i = 0; i < 20; i++) cycle(source, picture, i); // warm up: code, pools, heap sizing
        long before = nativeResidentBytes();
        int cycles = 120;
        for (int i = 0; i < cycles; i++) cycle(source, picture, i);
        long grown = nativeResidentBytes() - before;
        System.out.printf("native memory growth over %d cycles: %.1f MB%n", cycles, grown / 1048576.0);
        // One leaked encoder, decoder or frame set per cycle would add well over 100 MB here.
        // Leaking the encoder's buffers grows RSS by ~870 MB here; glibc's per-thread malloc arenas (x264 runs
        // threads) can add a few tens of MB of noise on a busy machine, which must not fail the test.
        assertTrue(grown < 96L << 20, "native memory grew by " + (grown >> 20) + " MB over " + cycles + " cycles");
    }

    /** Readers and writers own their native state: an enclosing PointerScope closing early must not free it. */
    @Test
    void objectsOutliveAnEnclosingPointerScope() {
        Path file = dir.resolve("scoped.mp4");
        VideoReader reader;
        Mp4Writer writer;
        FilterSource source;
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            writer = Mp4Writer.open(file, 64, 48, 8);
            source = SyntheticSources.open(SyntheticSources.testsrc2(64, 48, 8, 1));
        }
        for (Frame f; (f = source.next()) != null; ) writer.write(f);
        source.close();
        writer.close();
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            reader = VideoReader.open(file, 32, 24);
        }
        int n = 0;
        while (reader.next() != null) n++;
        reader.seek(0);
        assertEquals(0, reader.next().index());
        reader.close();
        assertEquals(8, n);
    }

    private void cycle(Path source, byte[] picture, int i) throws IOException {
        Path out = dir.resolve("out.mp4");
        try (Mp4Writer w = Mp4Writer.open(out, 320, 240, 24)) {
            for (int t = 0; t < 3; t++) w.write(picture);
        }
        Mp4Writer aborted = Mp4Writer.open(dir.resolve("aborted.mp4"), 320, 240, 24);
        aborted.write(picture);
        aborted.abort();
        try (VideoReader r = VideoReader.open(source, i % 2 == 0 ? 320 : 160, i % 2 == 0 ? 240 : 120)) {
            int n = 0;
            while (r.next() != null) n++;
            assertEquals(6, n);
            r.seek(0.1);
            r.next();
        }
        assertEquals(3, VideoProbe.probe(out).frameCount());
        try (FilterSource src = SyntheticSources.open(SyntheticSources.testsrc2(320, 240, 24, 1) + ",boxblur=2", 3)) {
            while (src.next() != null) { /* generate */ }
        }
        Files.delete(out);
    }

    /** Resident set size minus the committed Java heap, after a collection. */
    private static long nativeResidentBytes() {
        System.gc();
        long rss = org.bytedeco.javacpp.Pointer.physicalBytes();
        assertTrue(rss > 0, "resident memory size unavailable");
        return rss - Runtime.getRuntime().totalMemory();
    }
}
