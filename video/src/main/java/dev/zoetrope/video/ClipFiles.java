package dev.zoetrope.video;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.io.ClipWriter;

/**
 * A clip's files: the video (an mp4 or, for a {@code .webm} path, a webm: {@link Mp4Writer}), and optionally every
 * frame as a PNG in a directory and an animated GIF. Everything is written beside its target first and appears only
 * when {@link #finish} succeeds.
 */
public final class ClipFiles implements ClipWriter {
    /** Which extra outputs to write besides the mp4; either may be null. */
    public record Extras(Path framesPng, Path gif) {
        public static final Extras NONE = new Extras(null, null);
    }

    private final int width, height, fps;
    private final Mp4Writer mp4;
    private final Path pngTarget, pngTemp, gif;
    private final List<Frame> gifFrames = new ArrayList<>();
    private long index;

    private ClipFiles(Path mp4Path, int width, int height, int fps, Extras extras, java.util.Map<String, String> metadata)
            throws IOException {
        this.width = width;
        this.height = height;
        this.fps = fps;
        this.pngTarget = extras.framesPng();
        this.gif = extras.gif();
        if (pngTarget != null) {
            if (Files.exists(pngTarget) && !isEmptyDirectory(pngTarget))
                throw new InvalidRequestException(pngTarget + ": exists and is not an empty directory; choose a new one for the PNG frames");
            Path parent = pngTarget.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            pngTemp = Files.createTempDirectory(parent, "." + pngTarget.getFileName() + ".");
        } else {
            pngTemp = null;
        }
        try {
            this.mp4 = mp4Path == null ? null : Mp4Writer.open(mp4Path, width, height, fps, metadata);
        } catch (RuntimeException e) {
            deleteTree(pngTemp);
            throw e;
        }
    }

    /** The mp4 alone. */
    public static final ClipWriter.Factory MP4_ONLY = with(Extras.NONE);

    /** The mp4 (with the clip's metadata tags) and {@code extras}. */
    public static ClipWriter.Factory with(Extras extras) {
        return with(mp4 -> extras);
    }

    /**
     * The mp4 with its metadata tags, and the extras {@code extrasFor} gives for that mp4 (a batch writes several clips,
     * each with its own).
     */
    public static ClipWriter.Factory with(java.util.function.Function<Path, Extras> extrasFor) {
        return new ClipWriter.Factory() {
            @Override
            public ClipWriter open(Path mp4, int width, int height, int fps) {
                return open(mp4, width, height, fps, java.util.Map.of());
            }

            @Override
            public ClipWriter open(Path mp4, int width, int height, int fps, java.util.Map<String, String> metadata) {
                return ClipFiles.open(mp4, width, height, fps, extrasFor.apply(mp4), metadata);
            }
        };
    }

    /** The video at {@code mp4} (null: none, only the extras) and {@code extras}. */
    public static ClipFiles open(Path mp4, int width, int height, int fps, Extras extras) {
        return open(mp4, width, height, fps, extras, java.util.Map.of());
    }

    /** The outputs of a clip whose mp4 carries {@code metadata} tags ({@link ClipMetadata}). */
    public static ClipFiles open(Path mp4, int width, int height, int fps, Extras extras, java.util.Map<String, String> metadata) {
        try {
            return new ClipFiles(mp4, width, height, fps, extras, metadata);
        } catch (IOException e) {
            throw new UncheckedIOException(mp4 + ": cannot prepare the outputs: " + e.getMessage(), e);
        }
    }

    @Override
    public void frame(byte[] rgb) {
        if (mp4 != null) mp4.write(rgb);
        if (pngTemp == null && gif == null) {
            index++;
            return;
        }
        Frame f = new Frame(width, height, rgb, index, index / (double) fps);
        if (pngTemp != null) FrameImages.writePng(pngTemp.resolve(String.format(Locale.ROOT, "frame_%05d.png", index)), f);
        if (gif != null) gifFrames.add(f);
        index++;
    }

    @Override
    public void finish() {
        try {
            if (mp4 != null) mp4.close();
            if (gif != null) FrameImages.writeGif(gif, gifFrames, fps);
            if (pngTemp != null) {
                if (Files.isDirectory(pngTarget)) Files.delete(pngTarget);
                Files.move(pngTemp, pngTarget, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException | RuntimeException e) {
            deleteTree(pngTemp);
            throw e instanceof IOException io ? new UncheckedIOException("cannot finish the outputs: " + io.getMessage(), io)
                    : (RuntimeException) e;
        }
    }

    @Override
    public void abort() {
        if (mp4 != null) mp4.abort();
        deleteTree(pngTemp);
        gifFrames.clear();
    }

    private static boolean isEmptyDirectory(Path p) throws IOException {
        if (!Files.isDirectory(p)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(ClipFiles::deleteQuietly);
        } catch (IOException e) {
            // best effort: a leftover hidden temp directory is harmless
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort
        }
    }
}
