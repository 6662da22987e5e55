package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.video.SyntheticSources;

/**
 * A long video streams: three minutes of 640×360 at 24 fps (about 3 GB once decoded to RGB) is cut into 5 s clips
 * while the Java heap in use (garbage included) stays far below the size of the decoded video.
 */
@Tag("slow")
class LongVideoTest {
    @TempDir
    Path dir;

    @Test
    void aLongVideoIsCutWithoutHoldingItInMemory() throws Exception {
        Path video = dir.resolve("long.mp4");
        double seconds = 180;
        SyntheticSources.render(SyntheticSources.testsrc2(640, 360, 24, seconds), video, (long) (seconds * 24));
        CurateOptions o = CurateOptions.defaults(List.of(video.toString()), dir.resolve("out").toString()).withSize(320, 180);
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        AtomicLong peak = new AtomicLong();
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        ClipExtractor.Extracted e;
        try {
            e = new ClipExtractor(o).extract(video.toString());
        } finally {
            sampler.interrupt();
        }
        assertEquals("ok", e.report().status(), e.report().message());
        assertTrue(e.clips().size() >= 30, "clips " + e.clips().size());
        long decoded = 640L * 360 * 3 * 24 * (long) seconds;
        System.out.printf("peak heap in use %.0f MB while cutting a video of %.0f MB decoded%n", peak.get() / 1e6, decoded / 1e6);
        assertTrue(peak.get() < decoded / 4, "peak heap " + peak.get());
    }
}
