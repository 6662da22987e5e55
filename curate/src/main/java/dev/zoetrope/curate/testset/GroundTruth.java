package dev.zoetrope.curate.testset;

import java.util.List;

/**
 * {@code truth.json} of the validation corpus. Cut videos list the first frame of each new shot after a hard cut,
 * and for each fade through black the middle frame of its black run. Clips list the reasons a correct filter gives
 * (empty for clean clips) and, for duplicates, the file they copy.
 */
public record GroundTruth(double fps, List<CutVideo> cutVideos, List<Clip> clips, List<String> broken, List<String> tooShort) {
    public record CutVideo(String file, int frames, List<Integer> cuts, List<Integer> fades) {}

    public record Clip(String file, String category, List<String> expect, String duplicateOf) {}
}
