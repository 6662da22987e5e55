package dev.zoetrope.video;

import java.nio.file.Path;

/** Reads a video file's metadata without decoding it. */
public final class VideoProbe {
    private VideoProbe() {}

    /** The file's best video stream; {@link VideoException} naming the file if it is missing, broken or not a video. */
    public static VideoInfo probe(Path file) {
        try (InputFile in = InputFile.open(file)) {
            return in.info;
        }
    }

    /**
     * As {@link #probe(Path)}, refusing with {@link VideoTooLargeException} a file whose video stream declares more
     * than {@code maxPixels} pixels a frame, before a frame of that size is decoded.
     */
    public static VideoInfo probe(Path file, long maxPixels) {
        try (InputFile in = InputFile.open(file, maxPixels)) {
            return in.info;
        }
    }
}
