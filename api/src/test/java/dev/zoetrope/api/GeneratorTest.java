package dev.zoetrope.api;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.progress.GenerationCancelledException;
import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;
import dev.zoetrope.video.VideoReader;

/** The public API on the shipped model, with few steps so each clip takes a second or two. */
class GeneratorTest {
    static final Settings FAST = Settings.DEFAULT.withSteps(4).withSeed(7);
    static Generator generator;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        generator = Zoetrope.load(Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny"));
    }

    @AfterAll
    static void close() {
        generator.close();
    }

    static boolean samePixels(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) return false;
        for (int y = 0; y < a.getHeight(); y++)
            for (int x = 0; x < a.getWidth(); x++) if (a.getRGB(x, y) != b.getRGB(x, y)) return false;
        return true;
    }

    @Test
    void generatesInMemoryAndSavesEveryFormat() throws Exception {
        List<String> stages = new ArrayList<>();
        Video v = generator.generate("a red ball moving right", FAST, (stage, fraction) -> {
            if (stages.isEmpty() || !stages.getLast().equals(stage)) stages.add(stage);
        });
        assertEquals(List.of("encoding text", "denoising", "decoding"), stages);
        assertEquals(64, v.width());
        assertEquals(64, v.height());
        assertEquals(8, v.fps());
        assertEquals(17, v.frameCount(), "2 s at 8 fps, plus the first frame");
        assertEquals(7, v.seed());
        assertEquals(4, v.settings().steps());
        assertEquals(4.0, v.settings().guidanceScale(), "the model's default is filled in");
        assertEquals(2.0, v.seconds(), 1e-9);
        assertFalse(v.timings().denoise().isNegative() || v.timings().denoise().isZero());
        assertTrue(v.timings().total().compareTo(v.timings().denoise()) > 0);
        BufferedImage first = v.frame(0);
        assertEquals(64, first.getWidth());

        Path mp4 = v.save(tmp.resolve("clip.mp4")), webm = v.save(tmp.resolve("clip.webm"));
        VideoInfo mp4Info = VideoProbe.probe(mp4), webmInfo = VideoProbe.probe(webm);
        assertEquals("h264", mp4Info.codec());
        assertEquals(17, mp4Info.frameCount());
        assertEquals("vp9", webmInfo.codec());
        try (VideoReader r = VideoReader.open(webm)) {
            int n = 0;
            while (r.next() != null) n++;
            assertEquals(17, n);
        }
        v.save(tmp.resolve("clip.gif"));
        assertTrue(Files.size(tmp.resolve("clip.gif")) > 0);
        Path frames = v.save(tmp.resolve("frames"));
        try (Stream<Path> s = Files.list(frames)) {
            assertEquals(17, s.filter(p -> p.getFileName().toString().matches("frame_\\d{5}\\.png")).count());
        }
        // another extension is refused and leaves nothing behind
        assertThrows(InvalidRequestException.class, () -> v.save(tmp.resolve("clip.avi")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("clip.gif", "clip.mp4", "clip.webm", "frames"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void concurrentCallsTakeTurnsAndASeedGivesTheSameClip() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Video> a = pool.submit(() -> generator.generate("a blue square", FAST));
            Future<Video> b = pool.submit(() -> generator.generate("a blue square", FAST));
            Video va = a.get(), vb = b.get();
            for (int i = 0; i < va.frameCount(); i += 8) assertTrue(samePixels(va.frame(i), vb.frame(i)), "frame " + i);
            Video other = generator.generate("a blue square", FAST.withSeed(8));
            assertFalse(samePixels(va.frame(8), other.frame(8)), "another seed, another clip");
        } finally {
            pool.shutdownNow();
        }
        Video random = generator.generate("a blue square", FAST.withSeed(Settings.RANDOM_SEED));
        assertTrue(random.seed() >= 0, "the drawn seed is recorded: " + random.seed());
    }

    @Test
    void badSettingsAndCancellationAreReported() {
        assertThrows(InvalidRequestException.class, () -> generator.generate("x", FAST.withResolution("720p")));
        assertThrows(GenerationCancelledException.class, () -> generator.generate("x", FAST, new Listener() {
            @Override
            public void progress(String stage, double fraction) {}

            @Override
            public boolean cancelled() {
                return true;
            }
        }));
        try (Generator g = Zoetrope.load(Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny"))) {
            g.close();
            assertThrows(IllegalStateException.class, () -> g.generate("x", FAST));
        }
        assertThrows(InvalidRequestException.class, () -> Zoetrope.load(tmp));
    }
}
