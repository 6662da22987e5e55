package dev.zoetrope.video;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;

/** An opened container and its best video stream; shared by {@link VideoProbe} and {@link VideoReader}. */
final class InputFile implements AutoCloseable {
    final Path file;
    final AVFormatContext format;
    final AVStream stream;
    final VideoInfo info;
    /** The stream's time base as a fraction. */
    final int tbNum, tbDen;
    /** The stream's first timestamp, taken as time zero. */
    final long startPts;

    private InputFile(Path file, AVFormatContext format, AVStream stream) {
        this.file = file;
        this.format = format;
        this.stream = stream;
        AVRational tb = stream.time_base();
        this.tbNum = tb.num();
        this.tbDen = tb.den();
        this.startPts = stream.start_time() == avutil.AV_NOPTS_VALUE ? 0 : stream.start_time();
        this.info = describe();
    }

    /** Opens {@code file}; throws {@link VideoException} naming the file if it is missing, empty or not a video. */
    static InputFile open(Path file) {
        return open(file, Long.MAX_VALUE);
    }

    /**
     * As {@link #open(Path)}, refusing with {@link VideoTooLargeException} a video stream that declares more than
     * {@code maxPixels} pixels a frame. The container's declaration is checked before FFmpeg reads stream information
     * (which decodes a first frame at the declared size), the decoder's after.
     */
    static InputFile open(Path file, long maxPixels) {
        Ffmpeg.require();
        checkReadable(file);
        AVFormatContext fmt = new AVFormatContext(null);
        int ret = avformat.avformat_open_input(fmt, Av.fileUrl(file), null, null);
        if (ret < 0) throw new VideoException(file + ": not a readable video file (" + Av.text(ret) + ")");
        try {
            for (int i = 0; i < fmt.nb_streams(); i++)
                // A cover picture is never decoded as video, so its size does not count.
                if ((fmt.streams(i).disposition() & avformat.AV_DISPOSITION_ATTACHED_PIC) == 0)
                    checkSize(file, fmt.streams(i).codecpar(), maxPixels);
            ret = avformat.avformat_find_stream_info(fmt, (org.bytedeco.ffmpeg.avutil.AVDictionary) null);
            if (ret < 0) throw new VideoException(file + ": cannot read stream information (" + Av.text(ret) + ")");
            int index = avformat.av_find_best_stream(fmt, avutil.AVMEDIA_TYPE_VIDEO, -1, -1,
                    (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            if (index < 0) throw new VideoException(file + ": has no video stream");
            AVStream st = fmt.streams(index);
            if ((st.disposition() & avformat.AV_DISPOSITION_ATTACHED_PIC) != 0)
                throw new VideoException(file + ": has no video stream (only a cover picture)");
            AVCodecParameters par = st.codecpar();
            if (par.width() <= 0 || par.height() <= 0)
                throw new VideoException(file + ": video stream has no picture size (corrupt header?)");
            checkSize(file, par, maxPixels);
            return new InputFile(file, fmt, st);
        } catch (RuntimeException e) {
            avformat.avformat_close_input(fmt);
            throw e;
        }
    }

    private static void checkSize(Path file, AVCodecParameters par, long maxPixels) {
        if (par.codec_type() != avutil.AVMEDIA_TYPE_VIDEO) return;
        long pixels = (long) par.width() * par.height();
        if (pixels > maxPixels)
            throw new VideoTooLargeException(String.format(java.util.Locale.ROOT,
                    "%s: declares %dx%d pictures (%.1f megapixels), above the limit of %.1f megapixels",
                    file, par.width(), par.height(), pixels / 1e6, maxPixels / 1e6), par.width(), par.height());
    }

    static void checkReadable(Path file) {
        if (!Files.exists(file)) throw new VideoException(file + ": no such file");
        if (Files.isDirectory(file)) throw new VideoException(file + ": is a directory, not a video file");
        if (!Files.isReadable(file)) throw new VideoException(file + ": not readable (permission denied)");
        try {
            if (Files.size(file) == 0) throw new VideoException(file + ": empty file, not a video");
        } catch (IOException e) {
            throw new VideoException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Seconds since the stream's start for a timestamp in its time base. */
    double seconds(long pts) {
        return (double) (pts - startPts) * tbNum / tbDen;
    }

    /** The first timestamp at or after {@code seconds}, in the stream's time base. */
    long timestampAtOrAfter(double seconds) {
        return startPts + (long) Math.ceil(seconds * tbDen / tbNum - 1e-6);
    }

    private VideoInfo describe() {
        AVCodecParameters par = stream.codecpar();
        double fps = rate(stream.avg_frame_rate());
        if (fps <= 0) fps = rate(stream.r_frame_rate());
        long frames = stream.nb_frames() > 0 ? stream.nb_frames() : -1;
        double duration = -1;
        if (stream.duration() != avutil.AV_NOPTS_VALUE && stream.duration() > 0)
            duration = (double) stream.duration() * tbNum / tbDen;
        else if (format.duration() != avutil.AV_NOPTS_VALUE && format.duration() > 0)
            duration = format.duration() / (double) avutil.AV_TIME_BASE;
        else if (frames > 0 && fps > 0)
            duration = frames / fps;
        String codec = avcodec.avcodec_get_name(par.codec_id()).getString();
        return new VideoInfo(file, par.width(), par.height(), fps, frames, duration, codec);
    }

    private static double rate(AVRational r) {
        return r.num() > 0 && r.den() > 0 ? (double) r.num() / r.den() : 0;
    }

    @Override
    public void close() {
        avformat.avformat_close_input(format);
    }
}
