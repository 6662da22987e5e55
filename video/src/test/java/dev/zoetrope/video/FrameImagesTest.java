package dev.zoetrope.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrameImagesTest {
    @TempDir
    Path dir;

    private static List<Frame> frames(int n, int w, int h) {
        List<Frame> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Frame(w, h, TestClips.numbered(w, h, i), i, i / 8.0));
        return out;
    }

    @Test
    void pngKeepsPixelsExactly() throws Exception {
        Frame f = new Frame(33, 17, TestClips.smooth(33, 17, 3), 0, 0);
        Path file = dir.resolve("f.png");
        FrameImages.writePng(file, f);
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img);
        assertArrayEquals(f.rgb(), FrameImages.fromImage(img, 0, 0).rgb());
    }

    @Test
    void stripSamplesFramesEvenlyFromFirstToLast() throws Exception {
        Path file = dir.resolve("strip.png");
        FrameImages.writeStrip(file, frames(17, 10, 6), 5);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(50, img.getWidth());
        assertEquals(6, img.getHeight());
        int[] expected = {0, 4, 8, 12, 16};
        for (int i = 0; i < 5; i++) {
            int grey = img.getRGB(i * 10 + 5, 3) & 0xff;
            assertEquals(TestClips.level(expected[i]), grey, "strip tile " + i);
        }
        FrameImages.writeStrip(file, frames(3, 10, 6), 8);
        assertEquals(30, ImageIO.read(file.toFile()).getWidth(), "fewer frames than the maximum: all of them");
        assertThrows(IllegalArgumentException.class, () -> FrameImages.writeStrip(file, List.of(), 4));
    }

    @Test
    void sheetStacksOneStripPerClip() throws Exception {
        Path file = dir.resolve("sheet.png");
        FrameImages.writeSheet(file, List.of(frames(9, 10, 6), frames(2, 12, 8)), 3);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(30, img.getWidth(), "widest strip: 3 frames of 10 px");
        assertEquals(14, img.getHeight(), "6 + 8 px rows");
        assertEquals(TestClips.level(8), img.getRGB(25, 3) & 0xff, "first row ends with the last frame");
        assertEquals(TestClips.level(1), img.getRGB(18, 10) & 0xff, "second row holds both of its frames");
        assertEquals(0, img.getRGB(28, 10) & 0xffffff, "unused space is black");
    }

    @Test
    void gifIsAnimatedLoopingAndTimed() throws Exception {
        Path file = dir.resolve("anim.gif");
        FrameImages.writeGif(file, frames(6, 16, 12), 8);
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            reader.setInput(in);
            assertEquals(6, reader.getNumImages(true));
            for (int i = 0; i < 6; i++) {
                BufferedImage img = reader.read(i);
                assertEquals(16, img.getWidth());
                assertEquals(TestClips.level(i), img.getRGB(8, 6) & 0xff, "frame " + i + " keeps its grey level");
                IIOMetadataNode root = (IIOMetadataNode) reader.getImageMetadata(i).getAsTree("javax_imageio_gif_image_1.0");
                IIOMetadataNode control = (IIOMetadataNode) root.getElementsByTagName("GraphicControlExtension").item(0);
                assertEquals("13", control.getAttribute("delayTime"), "1/8 s rounds to 13 hundredths");
            }
            IIOMetadataNode first = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_gif_image_1.0");
            IIOMetadataNode app = (IIOMetadataNode) first.getElementsByTagName("ApplicationExtension").item(0);
            assertEquals("NETSCAPE", app.getAttribute("applicationID"));
            byte[] loop = (byte[]) app.getUserObject();
            assertEquals(0, loop[1] | loop[2] << 8, "loop count 0 = forever");
        } finally {
            reader.dispose();
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.allMatch(p -> p.getFileName().toString().equals("anim.gif")), "no temporary files left");
        }
    }
}
