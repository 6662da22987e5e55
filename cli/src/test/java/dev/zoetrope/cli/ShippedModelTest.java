package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.video.VideoInfo;
import dev.zoetrope.video.VideoProbe;

/** The README's first command: generate with the model shipped in models/zoetrope-tiny, no --model-dir, offline. */
class ShippedModelTest {
    @Test
    void generateUsesTheShippedTinyModelByDefault(@TempDir Path tmp) throws Exception {
        Path home = Path.of(System.getProperty("zoetrope.home"));
        assertTrue(Files.isRegularFile(home.resolve("models/zoetrope-tiny/zoetrope.json")), "the repository ships its tiny model");
        Path out = tmp.resolve("out.mp4");
        GenerateCommandTest.Run r = GenerateCommandTest.run("generate", "a red circle moving left on a black background", "-o", out.toString());
        assertEquals(0, r.exit(), r.err());
        VideoInfo info = VideoProbe.probe(out);
        assertEquals(64, info.width());
        assertEquals(64, info.height());
        assertEquals(17, info.frameCount());
        assertEquals(8.0, info.fps(), 1e-9);
        assertEquals("h264", info.codec());
    }
}
