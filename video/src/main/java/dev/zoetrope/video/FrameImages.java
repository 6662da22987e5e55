package dev.zoetrope.video;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

import dev.zoetrope.core.io.AtomicFiles;

/** Frames as pictures: PNG files, side-by-side strips, animated GIFs (javax.imageio). All writes are atomic. */
public final class FrameImages {
    private static final String GIF_FORMAT = "javax_imageio_gif_image_1.0";

    private FrameImages() {}

    public static BufferedImage toImage(Frame f) {
        BufferedImage img = new BufferedImage(f.width(), f.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        byte[] rgb = f.rgb();
        for (int i = 0; i < rgb.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        return img;
    }

    public static Frame fromImage(BufferedImage img, long index, double timeSeconds) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] rgb = new byte[w * h * 3];
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < rgb.length; i += 3) {
                rgb[i] = bgr[i + 2];
                rgb[i + 1] = bgr[i + 1];
                rgb[i + 2] = bgr[i];
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3, p = row[x];
                    rgb[o] = (byte) (p >> 16);
                    rgb[o + 1] = (byte) (p >> 8);
                    rgb[o + 2] = (byte) p;
                }
            }
        }
        return new Frame(w, h, rgb, index, timeSeconds);
    }

    public static void writePng(Path file, Frame f) {
        writeImage(file, toImage(f));
    }

    /**
     * Writes up to {@code maxFrames} frames, evenly sampled from first to last, side by side in one PNG
     * (frames of different heights are top-aligned on black).
     */
    public static void writeStrip(Path file, List<Frame> frames, int maxFrames) {
        writeImage(file, strip(frames, maxFrames));
    }

    /** The strip {@link #writeStrip} writes, as an image. */
    public static BufferedImage strip(List<Frame> frames, int maxFrames) {
        if (frames.isEmpty()) throw new IllegalArgumentException("a strip needs at least one frame");
        if (maxFrames < 1) throw new IllegalArgumentException("maxFrames must be at least 1, got " + maxFrames);
        List<Frame> picked = sample(frames, maxFrames);
        int width = picked.stream().mapToInt(Frame::width).sum();
        int height = picked.stream().mapToInt(Frame::height).max().orElseThrow();
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        var g = img.createGraphics();
        int x = 0;
        for (Frame f : picked) {
            g.drawImage(toImage(f), x, 0, null);
            x += f.width();
        }
        g.dispose();
        return img;
    }

    /**
     * A contact sheet: one strip per clip ({@link #strip} with {@code maxFrames}), stacked top to bottom
     * on black, written atomically as PNG.
     */
    public static void writeSheet(Path file, List<List<Frame>> clips, int maxFrames) {
        if (clips.isEmpty()) throw new IllegalArgumentException(file + ": a contact sheet needs at least one clip");
        List<BufferedImage> rows = clips.stream().map(c -> strip(c, maxFrames)).toList();
        int width = rows.stream().mapToInt(BufferedImage::getWidth).max().orElseThrow();
        int height = rows.stream().mapToInt(BufferedImage::getHeight).sum();
        BufferedImage sheet = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        var g = sheet.createGraphics();
        int y = 0;
        for (BufferedImage row : rows) {
            g.drawImage(row, 0, y, null);
            y += row.getHeight();
        }
        g.dispose();
        writeImage(file, sheet);
    }

    /** {@code max} frames evenly spaced from the first to the last (all of them if there are fewer). */
    static List<Frame> sample(List<Frame> frames, int max) {
        int n = frames.size();
        if (n <= max) return List.copyOf(frames);
        List<Frame> out = new ArrayList<>(max);
        if (max == 1) return List.of(frames.getFirst());
        for (int i = 0; i < max; i++) out.add(frames.get((int) Math.round((double) i * (n - 1) / (max - 1))));
        return out;
    }

    /** Writes an animated, endlessly looping GIF; the delay per frame is rounded to GIF's 1/100 s. */
    public static void writeGif(Path file, List<Frame> frames, double fps) {
        if (frames.isEmpty()) throw new IllegalArgumentException(file + ": a GIF needs at least one frame");
        if (!(fps > 0)) throw new IllegalArgumentException(file + ": fps must be positive, got " + fps);
        int delay = Math.max(1, (int) Math.round(100 / fps));
        try {
            AtomicFiles.write(file, tmp -> {
                ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
                try (ImageOutputStream out = ImageIO.createImageOutputStream(tmp.toFile())) {
                    writer.setOutput(out);
                    writer.prepareWriteSequence(null);
                    for (Frame f : frames) {
                        BufferedImage img = toImage(f);
                        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), null);
                        meta.mergeTree(GIF_FORMAT, gifFrameTree(meta, delay));
                        writer.writeToSequence(new IIOImage(img, null, meta), null);
                    }
                    writer.endWriteSequence();
                } finally {
                    writer.dispose();
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write GIF: " + e.getMessage(), e);
        }
    }

    /** The GIF frame's delay and disposal, and the NETSCAPE2.0 extension that makes it loop forever. */
    private static IIOMetadataNode gifFrameTree(IIOMetadata meta, int delayHundredths) {
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(GIF_FORMAT);
        IIOMetadataNode control = child(root, "GraphicControlExtension");
        control.setAttribute("disposalMethod", "none");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", "FALSE");
        control.setAttribute("delayTime", Integer.toString(delayHundredths));
        control.setAttribute("transparentColorIndex", "0");
        IIOMetadataNode apps = child(root, "ApplicationExtensions");
        IIOMetadataNode loop = new IIOMetadataNode("ApplicationExtension");
        loop.setAttribute("applicationID", "NETSCAPE");
        loop.setAttribute("authenticationCode", "2.0");
        loop.setUserObject(new byte[]{1, 0, 0}); // sub-block 1, loop count 0 = forever
        apps.appendChild(loop);
        return root;
    }

    private static IIOMetadataNode child(IIOMetadataNode parent, String name) {
        for (int i = 0; i < parent.getLength(); i++) {
            if (parent.item(i) instanceof IIOMetadataNode n && n.getNodeName().equals(name)) return n;
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        parent.appendChild(n);
        return n;
    }

    /** Writes {@code img} as a PNG, atomically. */
    public static void writeImage(Path file, BufferedImage img) {
        try {
            AtomicFiles.write(file, tmp -> {
                if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer available");
            });
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write PNG: " + e.getMessage(), e);
        }
    }
}
