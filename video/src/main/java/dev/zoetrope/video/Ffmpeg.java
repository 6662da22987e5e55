package dev.zoetrope.video;

import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacpp.Loader;

/**
 * The FFmpeg libraries, from the JavaCPP presets' GPL build on Maven Central (it carries libx264).
 *
 * <p>Only avutil, avcodec, avformat and swscale are loaded. The presets' avdevice links PulseAudio,
 * which a server usually lacks, and nothing here needs capture devices.
 */
public final class Ffmpeg {
    private static volatile Status status;

    private Ffmpeg() {}

    /** What FFmpeg can do here. */
    public record Status(boolean loaded, String version, boolean h264Encoder, String problem) {
        public String describe() {
            if (!loaded) return "unavailable: " + problem;
            return "FFmpeg " + version + (h264Encoder ? ", H.264 encoder (libx264)" : ", NO H.264 encoder");
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
            boolean x264 = avcodec.avcodec_find_encoder_by_name("libx264") != null;
            return new Status(true, version, x264, null);
        } catch (Throwable e) {
            return new Status(false, null, false, e.toString());
        }
    }
}
