package dev.zoetrope.serve;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;

import java.nio.file.Path;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;

import dev.zoetrope.video.Ffmpeg;

/**
 * Test-only H.264 mp4 writer for {@link TestPatternGenerator}: a few synthetic YUV frames through libx264, so the
 * service's tests and the browser test handle real, playable files.
 */
final class TestMp4Encoder {
    /** Luma of pixel (x, y) in frame {@code t}; chroma comes from {@code u} and {@code v}. */
    interface Pattern {
        int luma(int t, int x, int y);
    }

    private TestMp4Encoder() {}

    static void write(Path out, int width, int height, int fps, int frames, Pattern pattern, int u, int v) {
        Ffmpeg.require();
        AVFormatContext fmt = new AVFormatContext(null);
        check(avformat_alloc_output_context2(fmt, null, "mp4", out.toString()), "alloc output");
        AVCodec codec = avcodec_find_encoder_by_name("libx264");
        if (codec == null) throw new IllegalStateException("libx264 encoder not available");
        AVStream stream = avformat_new_stream(fmt, null);
        AVCodecContext cc = avcodec_alloc_context3(codec);
        AVFrame frame = av_frame_alloc();
        AVPacket pkt = av_packet_alloc();
        try {
            cc.width(width).height(height).pix_fmt(AV_PIX_FMT_YUV420P).time_base(av_make_q(1, fps))
                    .framerate(av_make_q(fps, 1)).gop_size(fps).max_b_frames(0);
            if ((fmt.oformat().flags() & AVFMT_GLOBALHEADER) != 0) cc.flags(cc.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
            AVDictionary codecOpts = new AVDictionary(null);
            av_dict_set(codecOpts, "preset", "ultrafast", 0);
            check(avcodec_open2(cc, codec, codecOpts), "open libx264");
            av_dict_free(codecOpts);
            check(avcodec_parameters_from_context(stream.codecpar(), cc), "codec parameters");
            stream.time_base(cc.time_base());
            AVIOContext pb = new AVIOContext(null);
            check(avio_open(pb, out.toString(), AVIO_FLAG_WRITE), "open " + out);
            fmt.pb(pb);
            AVDictionary muxOpts = new AVDictionary(null);
            av_dict_set(muxOpts, "movflags", "+faststart", 0);
            check(avformat_write_header(fmt, muxOpts), "write header");
            av_dict_free(muxOpts);

            frame.format(AV_PIX_FMT_YUV420P).width(width).height(height);
            check(av_frame_get_buffer(frame, 0), "frame buffer");
            byte[] row = new byte[width];
            for (int t = 0; t < frames; t++) {
                check(av_frame_make_writable(frame), "frame writable");
                BytePointer y = frame.data(0);
                for (int j = 0; j < height; j++) {
                    for (int i = 0; i < width; i++) row[i] = (byte) Math.clamp(pattern.luma(t, i, j), 16, 235);
                    y.position((long) j * frame.linesize(0)).put(row, 0, width);
                }
                fillPlane(frame.data(1), frame.linesize(1), width / 2, height / 2, u);
                fillPlane(frame.data(2), frame.linesize(2), width / 2, height / 2, v);
                y.position(0);
                frame.pts(t);
                check(avcodec_send_frame(cc, frame), "encode");
                drain(fmt, cc, stream, pkt);
            }
            check(avcodec_send_frame(cc, null), "flush");
            drain(fmt, cc, stream, pkt);
            check(av_write_trailer(fmt), "trailer");
        } finally {
            if (fmt.pb() != null) avio_closep(fmt.pb());
            av_packet_free(pkt);
            av_frame_free(frame);
            avcodec_free_context(cc);
            avformat_free_context(fmt);
        }
    }

    private static void fillPlane(BytePointer p, int stride, int w, int h, int value) {
        byte[] row = new byte[w];
        java.util.Arrays.fill(row, (byte) value);
        for (int j = 0; j < h; j++) p.position((long) j * stride).put(row, 0, w);
        p.position(0);
    }

    private static void drain(AVFormatContext fmt, AVCodecContext cc, AVStream stream, AVPacket pkt) {
        while (true) {
            int r = avcodec_receive_packet(cc, pkt);
            if (r == AVERROR_EAGAIN() || r == AVERROR_EOF) return;
            check(r, "receive packet");
            av_packet_rescale_ts(pkt, cc.time_base(), stream.time_base());
            pkt.stream_index(stream.index());
            check(av_interleaved_write_frame(fmt, pkt), "write packet");
        }
    }

    private static void check(int r, String what) {
        if (r < 0) {
            BytePointer buf = new BytePointer(256);
            av_strerror(r, buf, 256);
            throw new IllegalStateException("ffmpeg " + what + ": " + buf.getString());
        }
    }
}
