package dev.zoetrope.train.synth;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.core.config.Json;

/**
 * The JSON written beside each synthetic clip ({@code clip-000042.json} next to {@code clip-000042.mp4}):
 * its captions and everything needed to check a model or a detector against the truth. Field names are
 * snake_case in the file.
 *
 * @param video the mp4's file name, in the same directory
 * @param size the object's box side in pixels
 * @param start the box centre at frame 0, [x, y] in pixels
 * @param velocity the box centre's motion per frame, [x, y] in pixels (y grows downwards)
 * @param track per frame: the area centroid and the box [x0, y0, x1, y1]
 */
public record SynthSidecar(String id, String video, String split, String caption, String canonicalCaption, int template,
                           String color, int[] colorRgb, String shape, String direction, String background,
                           int[] backgroundRgb, int width, int height, int frames, double fps, double size,
                           double[] start, double[] velocity, long seed, List<TrackPoint> track) {

    public record TrackPoint(int frame, double time, double[] centroid, double[] bbox) {}

    public static SynthSidecar of(SynthClip clip, long seed) {
        List<TrackPoint> track = new ArrayList<>(clip.frames());
        for (int i = 0; i < clip.frames(); i++) track.add(new TrackPoint(i, i / clip.fps(), clip.centroid(i), clip.bbox(i)));
        SynthSpec.Rgb c = clip.color(), b = clip.backgroundColor();
        return new SynthSidecar(clip.id(), clip.id() + ".mp4", clip.split(), clip.caption(), clip.canonicalCaption(),
                clip.template(), c.name(), new int[]{c.r(), c.g(), c.b()}, clip.shape().word(), clip.direction().word(),
                b.name(), new int[]{b.r(), b.g(), b.b()}, clip.width(), clip.height(), clip.frames(), clip.fps(),
                clip.size(), new double[]{clip.startX(), clip.startY()}, new double[]{clip.velocityX(), clip.velocityY()},
                seed, List.copyOf(track));
    }

    /** Reads a sidecar; {@link dev.zoetrope.core.config.ConfigException} naming the file if it is not one. */
    public static SynthSidecar read(Path file) {
        return Json.read(file, SynthSidecar.class);
    }
}
