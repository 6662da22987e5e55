package dev.zoetrope.curate.clips;

import java.util.ArrayList;
import java.util.List;

import dev.zoetrope.curate.shots.Shot;

/**
 * Tiles shots with clip windows: from the start of each shot (after {@code trimFrames}), windows of
 * {@code maxSeconds} follow each other; a remainder of at least {@code minSeconds} becomes a last, shorter window.
 * Each window is resampled to {@code fps} by taking the source frame nearest in time to each output frame.
 */
public record ClipPlanner(double minSeconds, double maxSeconds, double fps, int trimFrames) {
    public List<ClipWindow> plan(List<Shot> shots, double sourceFps) {
        List<ClipWindow> out = new ArrayList<>();
        for (int s = 0; s < shots.size(); s++) {
            Shot shot = shots.get(s);
            int first = shot.start() + trimFrames, end = shot.end() - trimFrames;
            if (end <= first) continue;
            double t = first / sourceFps, stop = end / sourceFps;
            while (stop - t + 1e-9 >= minSeconds) {
                double len = Math.min(maxSeconds, stop - t);
                int n = (int) Math.floor(len * fps + 1e-6);
                if (n < 1) break;
                int[] src = new int[n];
                for (int k = 0; k < n; k++) src[k] = Math.clamp(Math.round((t + k / fps) * sourceFps), first, end - 1);
                out.add(new ClipWindow(s, t, t + n / fps, src));
                t += len;
            }
        }
        return out;
    }
}
