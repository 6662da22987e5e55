package dev.zoetrope.video;

import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * Converts decoded pictures of any pixel format to RGB24 at a chosen size with swscale, honouring the
 * picture's YUV matrix and range. The swscale context is rebuilt only when the input changes.
 */
final class RgbConverter implements AutoCloseable {

    private final int outWidth, outHeight;
    private final AVFrame rgb;
    private SwsContext sws;
    private int srcWidth = -1, srcHeight = -1, srcFormat = -1, srcSpace = -1, srcRange = -1;

    RgbConverter(int outWidth, int outHeight) {
        this.outWidth = outWidth;
        this.outHeight = outHeight;
        rgb = avutil.av_frame_alloc();
        if (rgb == null) throw new VideoException("out of memory allocating a " + outWidth + "x" + outHeight + " frame");
        rgb.format(avutil.AV_PIX_FMT_RGB24).width(outWidth).height(outHeight);
        int ret = avutil.av_frame_get_buffer(rgb, 0);
        if (ret < 0) {
            avutil.av_frame_free(rgb);
            throw new VideoException("cannot allocate a " + outWidth + "x" + outHeight + " RGB frame: " + Av.text(ret));
        }
    }

    int width() {
        return outWidth;
    }

    int height() {
        return outHeight;
    }

    byte[] convert(AVFrame src) {
        prepare(src);
        swscale.sws_scale(sws, src.data(), src.linesize(), 0, src.height(), rgb.data(), rgb.linesize());
        byte[] out = new byte[outWidth * outHeight * 3];
        BytePointer data = rgb.data(0);
        int stride = rgb.linesize(0), row = outWidth * 3;
        for (int y = 0; y < outHeight; y++) data.position((long) y * stride).get(out, y * row, row);
        return out;
    }

    private void prepare(AVFrame src) {
        int space = src.colorspace();
        int range = src.color_range() == avutil.AVCOL_RANGE_JPEG || isJpegFormat(src.format()) ? 1 : 0;
        if (sws != null && src.width() == srcWidth && src.height() == srcHeight && src.format() == srcFormat
                && space == srcSpace && range == srcRange) return;
        if (sws != null) swscale.sws_freeContext(sws);
        sws = swscale.sws_getContext(src.width(), src.height(), src.format(), outWidth, outHeight,
                avutil.AV_PIX_FMT_RGB24, flags(src), null, null, (org.bytedeco.javacpp.DoublePointer) null);
        if (sws == null)
            throw new VideoException("cannot convert " + pixelFormatName(src.format()) + " " + src.width() + "x"
                    + src.height() + " to RGB " + outWidth + "x" + outHeight);
        // Unspecified matrices get swscale's default (BT.601), as players do for SD video.
        IntPointer coefficients = swscale.sws_getCoefficients(space);
        swscale.sws_setColorspaceDetails(sws, coefficients, range, coefficients, 1, 0, 1 << 16, 1 << 16);
        srcWidth = src.width();
        srcHeight = src.height();
        srcFormat = src.format();
        srcSpace = space;
        srcRange = range;
    }

    /**
     * Area averaging when shrinking (no aliasing, and the fastest), bicubic otherwise. Full chroma
     * interpolation is cheap and keeps colour edges sharp; accurate rounding would double the cost for ±1.
     */
    private int flags(AVFrame src) {
        boolean shrinking = outWidth < src.width() && outHeight < src.height();
        return (shrinking ? swscale.SWS_AREA : swscale.SWS_BICUBIC) | swscale.SWS_FULL_CHR_H_INT;
    }

    private static boolean isJpegFormat(int format) {
        return format == avutil.AV_PIX_FMT_YUVJ420P || format == avutil.AV_PIX_FMT_YUVJ422P
                || format == avutil.AV_PIX_FMT_YUVJ444P;
    }

    static String pixelFormatName(int format) {
        BytePointer name = avutil.av_get_pix_fmt_name(format);
        return name == null ? "pixel format " + format : name.getString();
    }

    @Override
    public void close() {
        if (sws != null) {
            swscale.sws_freeContext(sws);
            sws = null;
        }
        if (!rgb.isNull()) avutil.av_frame_free(rgb);
    }
}
