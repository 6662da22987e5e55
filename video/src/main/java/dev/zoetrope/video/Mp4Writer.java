package dev.zoetrope.video;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;

/**
 * Writes RGB frames as an H.264 (libx264, or OpenH264 in the LGPL FFmpeg build; yuv420p, BT.709 limited range) mp4
 * that browsers and players accept: constant frame rate with exact timestamps, the index up front ("faststart"); or,
 * for a path ending in {@code .webm}, as VP9 (libvpx) in WebM ({@link Container}).
 *
 * <p>The file appears only when {@link #close()} succeeds: frames go to a hidden temporary file beside
 * {@code out}, which is renamed at the end. {@link #abort()}, or any failure in {@link #write} or
 * {@link #close()}, deletes it. Note that try-with-resources calls close() and so keeps what was
 * written; call abort() in a catch block to discard a clip whose production failed.
 *
 * <p>H.264 4:2:0 needs even sizes. An odd width or height is padded by one pixel by repeating the last
 * column or row, so a 65×37 input gives a 66×38 file whose top-left 65×37 pixels are the input. OpenH264 also
 * needs 16 pixels a side; smaller pictures are padded the same way.
 *
 * <p>Metadata tags (any keys, UTF-8 values) go into the container (mp4: QuickTime {@code mdta} keys; webm: Matroska
 * tags), which FFmpeg, ffprobe and {@link VideoProbe#metadata} read back under the same names.
 */
public final class Mp4Writer implements AutoCloseable {
    /** The file format, chosen by the output's extension. */
    public enum Container {
        MP4("mp4", "H.264"), WEBM("webm", "VP9");

        private final String muxer, codec;

        Container(String muxer, String codec) {
            this.muxer = muxer;
            this.codec = codec;
        }

        /** WEBM for a name ending in {@code .webm}, else MP4. */
        public static Container of(Path out) {
            return out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".webm") ? WEBM : MP4;
        }
    }

    public static final int DEFAULT_CRF = 18;
    public static final String DEFAULT_PRESET = "medium";
    private static final List<String> PRESETS = List.of("ultrafast", "superfast", "veryfast", "faster", "fast", "medium",
            "slow", "slower", "veryslow", "placebo");

    private final Path out;
    private final Path tmp;
    private final int width, height, encodedWidth, encodedHeight;
    private final FrameRate rate;
    private final Container container;
    private final String encoderName;
    private AVFormatContext format;
    private AVCodecContext encoder;
    private AVStream stream;
    private AVFrame rgb, yuv;
    private AVPacket packet;
    private SwsContext sws;
    private long frames;
    private boolean finished;

    private Mp4Writer(Path out, int width, int height, FrameRate rate, int crf, String preset, Map<String, String> metadata)
            throws IOException {
        this.out = out;
        this.width = width;
        this.height = height;
        this.rate = rate;
        this.container = Container.of(out);
        this.encoderName = container == Container.WEBM ? Ffmpeg.VP9_ENCODER : Ffmpeg.status().h264();
        // OpenH264 refuses pictures under 16 pixels a side
        int least = "libopenh264".equals(encoderName) ? 16 : 2;
        this.encodedWidth = Math.max(least, width + (width & 1));
        this.encodedHeight = Math.max(least, height + (height & 1));
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        this.tmp = Files.createTempFile(dir, "." + out.getFileName() + ".", ".part");
        try {
            openEncoder(crf, preset);
            openContainer(metadata);
            allocateFrames();
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** An mp4 at CRF {@value #DEFAULT_CRF}, preset {@value #DEFAULT_PRESET} (a webm for a {@code .webm} path). */
    public static Mp4Writer open(Path out, int width, int height, double fps) {
        return open(out, width, height, fps, DEFAULT_CRF, DEFAULT_PRESET);
    }

    /**
     * @param crf x264 constant rate factor, 0 (lossless) to 51; 18 is visually near-lossless (VP9 takes it on its
     *            0..63 scale plus 12; OpenH264 has no such factor and gets a bit rate for the size instead)
     * @param preset x264 speed preset, ultrafast … veryslow (x264 only)
     */
    public static Mp4Writer open(Path out, int width, int height, double fps, int crf, String preset) {
        return open(out, width, height, fps, crf, preset, Map.of());
    }

    /** An mp4 at CRF {@value #DEFAULT_CRF}, preset {@value #DEFAULT_PRESET}, carrying {@code metadata} tags. */
    public static Mp4Writer open(Path out, int width, int height, double fps, Map<String, String> metadata) {
        return open(out, width, height, fps, DEFAULT_CRF, DEFAULT_PRESET, metadata);
    }

    /**
     * @param crf x264 constant rate factor, 0 (lossless) to 51; 18 is visually near-lossless
     * @param preset x264 speed preset, ultrafast … veryslow
     * @param metadata container tags; keys must be non-empty and printable, values any text
     */
    public static Mp4Writer open(Path out, int width, int height, double fps, int crf, String preset, Map<String, String> metadata) {
        for (var e : metadata.entrySet())
            if (e.getKey().isEmpty() || !e.getKey().chars().allMatch(c -> c > ' ' && c < 127) || e.getValue() == null)
                throw new IllegalArgumentException(out + ": metadata key '" + e.getKey() + "' must be printable ASCII without "
                        + "spaces, with a value");
        if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
            throw new IllegalArgumentException(out + ": video size must be within 1..16384, got " + width + "x" + height);
        if (crf < 0 || crf > 51) throw new IllegalArgumentException(out + ": crf must be within 0..51, got " + crf);
        if (!PRESETS.contains(preset))
            throw new IllegalArgumentException(out + ": unknown x264 preset '" + preset + "' (one of " + PRESETS + ")");
        FrameRate rate = FrameRate.of(fps);
        Ffmpeg.require();
        Container container = Container.of(out);
        if (container == Container.MP4 && !Ffmpeg.status().h264Encoder())
            throw new VideoException(out + ": this FFmpeg build has no H.264 encoder (" + String.join(" or ", Ffmpeg.H264_ENCODERS)
                    + "); write a .webm instead");
        if (container == Container.WEBM && !Ffmpeg.status().vp9())
            throw new VideoException(out + ": this FFmpeg build has no VP9 encoder (" + Ffmpeg.VP9_ENCODER + ")");
        try {
            return new Mp4Writer(out, width, height, rate, crf, preset, metadata);
        } catch (IOException e) {
            throw new VideoException(out + ": cannot create the output file: " + e.getMessage(), e);
        }
    }

    /** Writes all {@code frames} to {@code out} in one go; nothing is left behind if it fails. */
    public static void writeAll(Path out, List<Frame> frames, double fps) {
        if (frames.isEmpty()) throw new IllegalArgumentException(out + ": no frames to write");
        Frame first = frames.getFirst();
        Mp4Writer w = open(out, first.width(), first.height(), fps);
        try {
            for (Frame f : frames) w.write(f);
        } catch (RuntimeException e) {
            w.abort();
            throw e;
        }
        w.close();
    }

    private void openEncoder(int crf, String preset) {
        AVCodec codec = avcodec.avcodec_find_encoder_by_name(encoderName);
        encoder = avcodec.avcodec_alloc_context3(codec);
        if (encoder == null) throw new VideoException(out + ": cannot allocate the " + container.codec + " encoder");
        encoder.width(encodedWidth).height(encodedHeight).pix_fmt(avutil.AV_PIX_FMT_YUV420P);
        encoder.time_base().num(rate.den()).den(rate.num());
        encoder.framerate().num(rate.num()).den(rate.den());
        encoder.sample_aspect_ratio().num(1).den(1);
        encoder.gop_size(Math.max(1, (int) Math.round(rate.fps() * 2)));
        encoder.colorspace(avutil.AVCOL_SPC_BT709).color_primaries(avutil.AVCOL_PRI_BT709)
                .color_trc(avutil.AVCOL_TRC_BT709).color_range(avutil.AVCOL_RANGE_MPEG);
        // Small pictures gain nothing from the encoder's threads but pay their memory and latency.
        if ((long) encodedWidth * encodedHeight < 320 * 240) encoder.thread_count(1);
        encoder.flags(encoder.flags() | avcodec.AV_CODEC_FLAG_GLOBAL_HEADER);
        AVDictionary options = new AVDictionary(null);
        try {
            switch (encoderName) {
                case "libx264" -> {
                    avutil.av_dict_set(options, "crf", Integer.toString(crf), 0);
                    avutil.av_dict_set(options, "preset", preset, 0);
                    // On pictures under 8 macroblocks across, x264's macroblock-tree rate control gives bitstreams
                    // that differ from run to run; without it small clips are reproducible byte for byte.
                    if (encodedWidth < 128 || encodedHeight < 128) avutil.av_dict_set(options, "x264-params", "mbtree=0", 0);
                }
                case Ffmpeg.VP9_ENCODER -> {
                    // constant quality (b=0 lifts the bit-rate cap); VP9's 0..63 scale sits about 12 above x264's
                    avutil.av_dict_set(options, "crf", Integer.toString(Math.min(63, crf + 12)), 0);
                    avutil.av_dict_set(options, "b", "0", 0);
                    avutil.av_dict_set(options, "deadline", "good", 0);
                    avutil.av_dict_set(options, "cpu-used", "4", 0);
                    avutil.av_dict_set(options, "row-mt", "1", 0);
                }
                // OpenH264 rates by bits: about a fifth of a bit per pixel per frame looks like x264 at CRF 18-23
                default -> encoder.bit_rate(Math.max(200_000L, (long) (encodedWidth * (long) encodedHeight * rate.fps() / 5)));
            }
            Av.check(avcodec.avcodec_open2(encoder, codec, options), out, "opening the " + container.codec + " encoder (" + encoderName + ")");
        } finally {
            avutil.av_dict_free(options);
        }
    }

    private void openContainer(Map<String, String> metadata) {
        format = new AVFormatContext(null);
        Av.check(avformat.avformat_alloc_output_context2(format, null, container.muxer, tmp.toString()), out,
                "creating the " + container.muxer + " muxer");
        if (!metadata.isEmpty()) {
            // owned by the format context from here on: avformat_free_context frees it
            AVDictionary tags = new AVDictionary(null);
            for (var e : metadata.entrySet()) Av.check(avutil.av_dict_set(tags, e.getKey(), e.getValue(), 0), out, "metadata");
            format.metadata(tags);
        }
        stream = avformat.avformat_new_stream(format, null);
        if (stream == null) throw new VideoException(out + ": cannot add a video stream");
        Av.check(avcodec.avcodec_parameters_from_context(stream.codecpar(), encoder), out, "stream parameters");
        stream.time_base().num(rate.den()).den(rate.num());
        stream.avg_frame_rate().num(rate.num()).den(rate.den());
        AVIOContext io = new AVIOContext(null);
        Av.check(avformat.avio_open(io, Av.fileUrl(tmp), avformat.AVIO_FLAG_WRITE), out, "opening " + tmp.getFileName());
        format.pb(io);
        AVDictionary options = new AVDictionary(null);
        try {
            // use_metadata_tags: every tag as an mdta key, not only the few iTunes names the muxer knows
            if (container == Container.MP4)
                avutil.av_dict_set(options, "movflags", metadata.isEmpty() ? "+faststart" : "+faststart+use_metadata_tags", 0);
            Av.check(avformat.avformat_write_header(format, options), out, "writing the " + container.muxer + " header");
        } finally {
            avutil.av_dict_free(options);
        }
    }

    private void allocateFrames() {
        rgb = frame(avutil.AV_PIX_FMT_RGB24);
        yuv = frame(avutil.AV_PIX_FMT_YUV420P);
        packet = avcodec.av_packet_alloc();
        if (packet == null) throw new VideoException(out + ": out of memory");
        sws = swscale.sws_getContext(encodedWidth, encodedHeight, avutil.AV_PIX_FMT_RGB24, encodedWidth, encodedHeight,
                avutil.AV_PIX_FMT_YUV420P, swscale.SWS_BICUBIC | swscale.SWS_ACCURATE_RND | swscale.SWS_FULL_CHR_H_INP,
                null, null, (org.bytedeco.javacpp.DoublePointer) null);
        if (sws == null) throw new VideoException(out + ": cannot set up RGB to YUV conversion");
        var bt709 = swscale.sws_getCoefficients(swscale.SWS_CS_ITU709);
        swscale.sws_setColorspaceDetails(sws, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
    }

    private AVFrame frame(int pixelFormat) {
        AVFrame f = avutil.av_frame_alloc();
        if (f == null) throw new VideoException(out + ": out of memory");
        f.format(pixelFormat).width(encodedWidth).height(encodedHeight);
        if (pixelFormat == avutil.AV_PIX_FMT_YUV420P) {
            f.colorspace(avutil.AVCOL_SPC_BT709).color_primaries(avutil.AVCOL_PRI_BT709)
                    .color_trc(avutil.AVCOL_TRC_BT709).color_range(avutil.AVCOL_RANGE_MPEG);
        }
        int ret = avutil.av_frame_get_buffer(f, 0);
        if (ret < 0) {
            avutil.av_frame_free(f);
            throw new VideoException(out + ": cannot allocate a frame: " + Av.text(ret));
        }
        return f;
    }

    /** Appends one frame of {@code width × height × 3} RGB24 bytes. */
    public void write(byte[] pixels) {
        if (finished) throw new IllegalStateException(out + ": writer is already closed");
        try {
            if (pixels.length != width * height * 3)
                throw new IllegalArgumentException(out + ": frame " + frames + " has " + pixels.length + " bytes, expected "
                        + width * height * 3 + " (" + width + "x" + height + " RGB)");
            fillRgb(pixels);
            Av.check(avutil.av_frame_make_writable(yuv), out, "frame buffer");
            swscale.sws_scale(sws, rgb.data(), rgb.linesize(), 0, encodedHeight, yuv.data(), yuv.linesize());
            yuv.pts(frames).duration(1);
            Av.check(avcodec.avcodec_send_frame(encoder, yuv), out, "encoding frame " + frames);
            frames++;
            drain();
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Appends {@code f}, which must have the writer's size. */
    public void write(Frame f) {
        if (f.width() != width || f.height() != height) {
            abort();
            throw new IllegalArgumentException(out + ": frame " + f.index() + " is " + f.width() + "x" + f.height()
                    + ", the video is " + width + "x" + height);
        }
        write(f.rgb());
    }

    /** Copies the pixels into the RGB frame, repeating the last column/row into the padding of odd sizes. */
    private void fillRgb(byte[] pixels) {
        BytePointer data = rgb.data(0);
        int stride = rgb.linesize(0), row = width * 3;
        byte[] padded = encodedWidth != width ? new byte[encodedWidth * 3] : null;
        for (int y = 0; y < encodedHeight; y++) {
            int srcRow = Math.min(y, height - 1) * row;
            data.position((long) y * stride);
            if (padded == null) {
                data.put(pixels, srcRow, row);
            } else {
                System.arraycopy(pixels, srcRow, padded, 0, row);
                for (int x = row; x < padded.length; x += 3) System.arraycopy(pixels, srcRow + row - 3, padded, x, 3);
                data.put(padded, 0, padded.length);
            }
        }
    }

    /** Moves every packet the encoder has ready into the file. */
    private void drain() {
        while (true) {
            int ret = avcodec.avcodec_receive_packet(encoder, packet);
            if (ret == Av.EAGAIN || ret == avutil.AVERROR_EOF) return;
            Av.check(ret, out, "encoding");
            packet.stream_index(stream.index());
            if (packet.duration() <= 0) packet.duration(1);
            avcodec.av_packet_rescale_ts(packet, encoder.time_base(), stream.time_base());
            ret = avformat.av_interleaved_write_frame(format, packet);
            avcodec.av_packet_unref(packet);
            Av.check(ret, out, "writing");
        }
    }

    /** Frames written so far. */
    public long frameCount() {
        return frames;
    }

    /** Flushes the encoder, completes the mp4 and renames it into place. */
    @Override
    public void close() {
        if (finished) return;
        try {
            if (frames == 0) throw new VideoException(out + ": no frames were written; an empty video is not saved");
            Av.check(avcodec.avcodec_send_frame(encoder, null), out, "flushing the encoder");
            drain();
            Av.check(avformat.av_write_trailer(format), out, "finishing the " + container.muxer);
            freeNative();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            dev.zoetrope.core.io.AtomicFiles.makeReadable(tmp);
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
            finished = true;
        } catch (IOException e) {
            abort();
            throw new VideoException(out + ": cannot save the video: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Discards the video: frees the encoder and deletes the temporary file. Idempotent. */
    public void abort() {
        finished = true;
        freeNative();
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // Nothing more can be done; the hidden .part file is all that remains.
        }
    }

    private void freeNative() {
        if (sws != null) {
            swscale.sws_freeContext(sws);
            sws = null;
        }
        if (rgb != null && !rgb.isNull()) avutil.av_frame_free(rgb);
        if (yuv != null && !yuv.isNull()) avutil.av_frame_free(yuv);
        if (packet != null && !packet.isNull()) avcodec.av_packet_free(packet);
        if (encoder != null && !encoder.isNull()) avcodec.avcodec_free_context(encoder);
        if (format != null && !format.isNull()) {
            AVIOContext io = format.pb();
            if (io != null && !io.isNull()) {
                avformat.avio_closep(io);
                format.pb(null);
            }
            avformat.avformat_free_context(format);
            format = null;
        }
    }
}
