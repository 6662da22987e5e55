package dev.zoetrope.video;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.Loader;

/** Small helpers over libav* return codes. */
final class Av {
    /** AVERROR(EAGAIN): the codec wants more input (or output drained) before it can go on. */
    static final int EAGAIN = Loader.getPlatform().startsWith("macosx") ? -35 : -11;

    private Av() {}

    /** FFmpeg's text for an error code, e.g. "Invalid data found when processing input". */
    static String text(int code) {
        byte[] buf = new byte[256];
        if (avutil.av_strerror(code, buf, buf.length) < 0) return "error " + code;
        int n = 0;
        while (n < buf.length && buf[n] != 0) n++;
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    /**
     * The URL FFmpeg should open for a local file. The explicit "file:" keeps names with a colon
     * ("take:2.mp4") from being read as a protocol.
     */
    static String fileUrl(Path file) {
        return "file:" + file.toAbsolutePath();
    }

    /** Throws a {@link VideoException} naming the file and the step when {@code ret} is an error. */
    static int check(int ret, Path file, String step) {
        if (ret < 0) throw new VideoException(file + ": " + step + ": " + text(ret));
        return ret;
    }
}
