package dev.zoetrope.video;

import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacpp.Loader;

/**
 * The FFmpeg libraries, from the JavaCPP presets on Maven Central: by default their GPL build, which carries libx264;
 * with {@code -Dffmpeg.build=lgpl} their LGPL build, whose H.264 encoder is OpenH264. Both carry libvpx (VP9).
 *
 * <p>Only avutil, avcodec, avformat and swscale are loaded. The presets' avdevice links PulseAudio,
 * which a server usually lacks, and nothing here needs capture devices.
 */
public final class Ffmpeg {
    private static volatile Status status;

    private Ffmpeg() {}

    /** The H.264 encoders this code drives, best first. */
    static final java.util.List<String> H264_ENCODERS = java.util.List.of("libx264", "libopenh264");
    static final String VP9_ENCODER = "libvpx-vp9";

    /**
     * What FFmpeg can do here.
     *
     * @param h264 the H.264 encoder mp4s are written with ({@link #H264_ENCODERS}), or null for none
     * @param vp9 whether webm (VP9) can be written
     */
    public record Status(boolean loaded, String version, String h264, boolean vp9, String problem) {
        public boolean h264Encoder() {
            return h264 != null;
        }

        public String describe() {
            if (!loaded) return "unavailable: " + problem;
            return "FFmpeg " + version + (h264 != null ? ", H.264 encoder (" + h264 + ")" : ", NO H.264 encoder")
                    + (vp9 ? ", VP9 encoder (" + VP9_ENCODER + ")" : ", NO VP9 encoder");
        }
    }

    /** Loads the libraries once. Never throws: a failure is reported in the status. */
    public static Status status() {
        Status s = status;
        if (s != null) return s;
        synchronized (Ffmpeg.class) {
            if (status == null) status = load();
            return status;
        }
    }

    /** Loads the libraries, or throws {@link VideoException} saying why they are unusable. */
    public static void require() {
        Status s = status();
        if (!s.loaded) throw new VideoException("FFmpeg libraries could not be loaded: " + s.problem);
    }

    private static Status load() {
        try {
            Loader.load(avutil.class);
            Loader.load(avcodec.class);
            Loader.load(avformat.class);
            Loader.load(swscale.class);
            avutil.av_log_set_level(avutil.AV_LOG_ERROR);
            String version = avutil.av_version_info().getString();
            String h264 = H264_ENCODERS.stream().filter(n -> avcodec.avcodec_find_encoder_by_name(n) != null).findFirst().orElse(null);
            boolean vp9 = avcodec.avcodec_find_encoder_by_name(VP9_ENCODER) != null;
            return new Status(true, version, h264, vp9, null);
        } catch (Throwable e) {
            return new Status(false, null, null, false, e.toString());
        }
    }
}
