package dev.zoetrope.api;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.video.ClipFiles;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.FrameImages;

/**
 * A generated clip, in memory: its frames, frame rate, the seed and settings it was made with, and how long each stage
 * took. Immutable; {@link #save} writes it in the format its path names.
 */
public final class Video {
    /**
     * Wall-clock time of each stage, from the start of one to the start of the next as the pipeline reports them (the
     * DiT's load falls in {@code text}, the VAE's in {@code denoise} on the first call), and of the whole call.
     */
    public record Timings(Duration text, Duration denoise, Duration decode, Duration total) {}

    private final String prompt;
    private final List<Frame> frames;
    private final int width, height, fps;
    private final long seed;
    private final Settings settings;
    private final Timings timings;

    Video(String prompt, List<Frame> frames, int width, int height, int fps, Settings settings, Timings timings) {
        this.prompt = prompt;
        this.frames = List.copyOf(frames);
        this.width = width;
        this.height = height;
        this.fps = fps;
        this.seed = settings.seed();
        this.settings = settings;
        this.timings = timings;
    }

    public String prompt() {
        return prompt;
    }

    /** The frames as new RGB images (each call makes new ones; {@link #frame} makes one). */
    public List<BufferedImage> frames() {
        return frames.stream().map(FrameImages::toImage).toList();
    }

    /** Frame {@code index} as a new RGB image. */
    public BufferedImage frame(int index) {
        return FrameImages.toImage(frames.get(index));
    }

    public int frameCount() {
        return frames.size();
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int fps() {
        return fps;
    }

    /** The seed the noise was drawn from: the one asked for, or the one drawn for {@link Settings#RANDOM_SEED}. */
    public long seed() {
        return seed;
    }

    /** Every setting as used, the model's defaults filled in. */
    public Settings settings() {
        return settings;
    }

    public Timings timings() {
        return timings;
    }

    /** The clip's length: (frames − 1) / fps. */
    public double seconds() {
        return (frames.size() - 1) / (double) fps;
    }

    /**
     * Writes the clip in the format {@code path} names: {@code .mp4} (H.264), {@code .webm} (VP9), {@code .gif}, or
     * a directory (an existing empty one, or a path without an extension) of {@code frame_00000.png} files. The file
     * or directory appears only when complete.
     *
     * @return {@code path}
     * @throws InvalidRequestException for another extension, or a directory that is not empty
     */
    public Path save(Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot > 0 ? name.substring(dot + 1) : "";
        ClipFiles files = switch (ext) {
            case "mp4", "webm" -> ClipFiles.open(path, width, height, fps, ClipFiles.Extras.NONE);
            case "gif" -> ClipFiles.open(null, width, height, fps, new ClipFiles.Extras(null, path));
            case "" -> ClipFiles.open(null, width, height, fps, new ClipFiles.Extras(path, null));
            default -> {
                if (Files.isDirectory(path)) yield ClipFiles.open(null, width, height, fps, new ClipFiles.Extras(path, null));
                throw new InvalidRequestException(path + ": save as .mp4, .webm, .gif, or a directory of PNG frames, not ." + ext);
            }
        };
        try {
            for (Frame f : frames) files.frame(f.rgb());
        } catch (RuntimeException e) {
            files.abort();
            throw e;
        }
        files.finish();
        return path;
    }
}
