package dev.zoetrope.curate.pipeline;

import java.io.Serializable;
import java.util.List;

/**
 * What happened to one source file. {@code status}: {@code ok}, {@code broken} (cannot be opened or decoded),
 * {@code too_large} (declares a picture above the size limit), {@code too_short}, {@code no_shots} (no shot long
 * enough for a clip), or {@code truncated} (decoding stopped early; the clips of the part before are kept).
 */
public record SourceReport(String source, String status, String message, int width, int height, double fps,
                           double durationSeconds, int frames, List<Integer> cuts, List<Integer> fades, int shots,
                           List<String> clipIds) implements Serializable {
    public static SourceReport failed(String source, String status, String message) {
        return new SourceReport(source, status, message, 0, 0, 0, 0, 0, List.of(), List.of(), 0, List.of());
    }
}
