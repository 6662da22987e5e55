/**
 * Video files through the FFmpeg libraries (JavaCPP presets, GPL build with libx264), used directly.
 *
 * <ul>
 * <li>{@link dev.zoetrope.video.VideoProbe#probe} — size, frame rate, frame count, duration, codec.</li>
 * <li>{@link dev.zoetrope.video.VideoReader} — streaming decode to RGB24 {@link dev.zoetrope.video.Frame}s,
 * optionally scaled; {@code seek(seconds)} lands on the first frame at or after the time.</li>
 * <li>{@link dev.zoetrope.video.Mp4Writer} — H.264 yuv420p mp4 (BT.709, exact rational frame rates such as
 * 24000/1001), written to a temporary file and renamed on close; odd sizes are padded to even.</li>
 * <li>{@link dev.zoetrope.video.FrameImages} — PNG, side-by-side strips, looping GIFs.</li>
 * <li>{@link dev.zoetrope.video.SyntheticSources} — frames from libavfilter generator graphs for test corpora.</li>
 * </ul>
 *
 * <p>Every native structure is owned by one object and freed in its {@code close()}; nothing relies on
 * the garbage collector or on an enclosing {@code PointerScope}. Objects are not thread-safe; separate
 * readers and writers may run on separate threads. libavdevice is never loaded.
 */
package dev.zoetrope.video;
