package dev.zoetrope.video;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.ffmpeg.avutil.AVDictionaryEntry;
import org.bytedeco.ffmpeg.global.avutil;

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

    /**
     * The container's metadata tags (what ffprobe shows as the format's tags), in file order; {@link Mp4Writer} writes
     * them. Empty for a file without tags; {@link VideoException} naming the file if it is missing or not a video.
     */
    public static Map<String, String> metadata(Path file) {
        try (InputFile in = InputFile.open(file)) {
            Map<String, String> tags = new LinkedHashMap<>();
            AVDictionaryEntry e = null;
            while ((e = avutil.av_dict_get(in.format.metadata(), "", e, avutil.AV_DICT_IGNORE_SUFFIX)) != null)
                tags.put(e.key().getString(java.nio.charset.StandardCharsets.UTF_8), e.value().getString(java.nio.charset.StandardCharsets.UTF_8));
            return tags;
        }
    }
}
