package dev.zoetrope.video;

import java.nio.file.Path;
import java.util.Locale;

/**
 * What a video file holds: its best video stream's size, frame rate, length and codec.
 *
 * @param frameCount the number of frames the container declares, or -1 if it does not say
 * @param durationSeconds the stream's length, or -1 if unknown
 */
public record VideoInfo(Path path, int width, int height, double fps, long frameCount, double durationSeconds,
                        String codec) {
    public String describe() {
        return String.format(Locale.ROOT, "%s: %s %dx%d, %.3f fps, %s frames, %.3f s", path.getFileName(), codec,
                width, height, fps, frameCount < 0 ? "?" : Long.toString(frameCount), durationSeconds);
    }
}
