package dev.zoetrope.video;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;

/**
 * Decodes a video file frame by frame to RGB24, optionally scaled. Only the current frame is held, so
 * files of any length stream in constant memory. Native state is freed by {@link #close()}; not thread-safe.
 */
public final class VideoReader implements FrameSource {
    private final InputFile input;
    private final int streamIndex;
    private final double fps;
    private AVCodecContext decoder;
    private AVPacket packet;
    private AVFrame decoded;
    private RgbConverter converter;
    private boolean demuxerDone, closed;
    /** Index of the next frame to return; re-derived from timestamps after a seek. */
    private long nextIndex;
    private boolean indexFromTime;
    /** After a seek: frames before this timestamp are decoded and dropped. */
    private long dropBefore = Long.MIN_VALUE;

    private VideoReader(InputFile input, int width, int height) {
        this.input = input;
        this.streamIndex = input.stream.index();
        this.fps = input.info.fps();
        try {
            AVCodec codec = avcodec.avcodec_find_decoder(input.stream.codecpar().codec_id());
            if (codec == null)
                throw new VideoException(input.file + ": no decoder for codec " + input.info.codec() + " in this FFmpeg build");
            decoder = avcodec.avcodec_alloc_context3(codec);
            if (decoder == null) throw new VideoException(input.file + ": cannot allocate a decoder");
            Av.check(avcodec.avcodec_parameters_to_context(decoder, input.stream.codecpar()), input.file, "decoder setup");
            decoder.pkt_timebase().num(input.tbNum).den(input.tbDen);
            Av.check(avcodec.avcodec_open2(decoder, codec, (org.bytedeco.ffmpeg.avutil.AVDictionary) null), input.file,
                    "opening the " + input.info.codec() + " decoder");
            packet = avcodec.av_packet_alloc();
            decoded = avutil.av_frame_alloc();
            if (packet == null || decoded == null) throw new VideoException(input.file + ": out of memory");
            converter = new RgbConverter(width, height);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Opens {@code file} at its native size. */
    public static VideoReader open(Path file) {
        InputFile in = InputFile.open(file);
        return create(in, in.info.width(), in.info.height());
    }

    /** Opens {@code file}, scaling every frame to {@code width × height} (swscale, bicubic). */
    public static VideoReader open(Path file, int width, int height) {
        if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
            throw new IllegalArgumentException("output size must be within 1..16384, got " + width + "x" + height);
        return create(InputFile.open(file), width, height);
    }

    /**
     * Decodes every frame of a short clip at its native size. For long videos stream with
     * {@link #open(Path)} and {@link #next()} instead: this holds them all.
     */
    public static List<Frame> readAll(Path file) {
        List<Frame> frames = new ArrayList<>();
        try (VideoReader r = open(file)) {
            for (Frame f; (f = r.next()) != null; ) frames.add(f);
        }
        return frames;
    }

    private static VideoReader create(InputFile in, int width, int height) {
        try {
            return new VideoReader(in, width, height);
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** The file's metadata (its native size, not the output size). */
    public VideoInfo info() {
        return input.info;
    }

    /** The next frame, or {@code null} at the end of the stream. */
    @Override
    public Frame next() {
        if (closed) throw new IllegalStateException(input.file + ": reader is closed");
        while (true) {
            int ret = avcodec.avcodec_receive_frame(decoder, decoded);
            if (ret >= 0) {
                Frame f = toFrame();
                avutil.av_frame_unref(decoded);
                if (f != null) return f;
                continue;
            }
            if (ret == avutil.AVERROR_EOF) return null;
            if (ret != Av.EAGAIN) throw new VideoException(input.file + ": decoding failed at frame " + nextIndex + ": " + Av.text(ret));
            feed();
        }
    }

    /** Sends the decoder the next packet of our stream, or the end-of-stream signal. */
    private void feed() {
        if (demuxerDone) throw new VideoException(input.file + ": decoder stalled at frame " + nextIndex);
        while (true) {
            int ret = avformat.av_read_frame(input.format, packet);
            if (ret == avutil.AVERROR_EOF) {
                demuxerDone = true;
                Av.check(avcodec.avcodec_send_packet(decoder, null), input.file, "flushing the decoder");
                return;
            }
            if (ret < 0)
                throw new VideoException(input.file + ": truncated or corrupt: cannot read past frame " + nextIndex
                        + " (" + Av.text(ret) + ")");
            try {
                if (packet.stream_index() != streamIndex) continue;
                if ((packet.flags() & avcodec.AV_PKT_FLAG_CORRUPT) != 0)
                    throw new VideoException(input.file + ": truncated or corrupt: the data of frame " + nextIndex
                            + " is incomplete");
                ret = avcodec.avcodec_send_packet(decoder, packet);
                if (ret < 0 && ret != Av.EAGAIN)
                    throw new VideoException(input.file + ": corrupt video data near frame " + nextIndex + " (" + Av.text(ret) + ")");
                return;
            } finally {
                avcodec.av_packet_unref(packet);
            }
        }
    }

    /** The decoded picture as a {@link Frame}, or null if it lies before a seek target. */
    private Frame toFrame() {
        long pts = decoded.best_effort_timestamp();
        if (pts != avutil.AV_NOPTS_VALUE && pts < dropBefore) return null;
        double t;
        if (pts != avutil.AV_NOPTS_VALUE) t = input.seconds(pts);
        else t = fps > 0 ? nextIndex / fps : 0;
        if (indexFromTime) {
            nextIndex = fps > 0 ? Math.round(t * fps) : nextIndex;
            indexFromTime = false;
        }
        dropBefore = Long.MIN_VALUE;
        byte[] rgb = converter.convert(decoded);
        return new Frame(converter.width(), converter.height(), rgb, nextIndex++, t);
    }

    /**
     * Positions the reader so that {@link #next()} returns the first frame at or after {@code seconds}
     * (or null if there is none). Seeks to the keyframe before it and decodes forward.
     */
    public void seek(double seconds) {
        if (closed) throw new IllegalStateException(input.file + ": reader is closed");
        if (Double.isNaN(seconds)) throw new IllegalArgumentException("seek time is NaN");
        double s = Math.max(0, seconds);
        long target = input.timestampAtOrAfter(s);
        int ret = avformat.av_seek_frame(input.format, streamIndex, target, avformat.AVSEEK_FLAG_BACKWARD);
        if (ret < 0) {
            // Some files have no index; decode from the start instead.
            Av.check(avformat.av_seek_frame(input.format, streamIndex, input.startPts, avformat.AVSEEK_FLAG_BACKWARD),
                    input.file, "seeking to " + s + " s");
        }
        avcodec.avcodec_flush_buffers(decoder);
        demuxerDone = false;
        dropBefore = target;
        indexFromTime = true;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (converter != null) converter.close();
        if (decoded != null && !decoded.isNull()) avutil.av_frame_free(decoded);
        if (packet != null && !packet.isNull()) avcodec.av_packet_free(packet);
        if (decoder != null && !decoder.isNull()) avcodec.avcodec_free_context(decoder);
        input.close();
    }
}
