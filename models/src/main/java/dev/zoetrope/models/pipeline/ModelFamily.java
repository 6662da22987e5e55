package dev.zoetrope.models.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.zoetrope.models.sampling.FlowScheduler;
import dev.zoetrope.models.sampling.Guidance;

/**
 * The model families the pipeline runs, with what differs between them: defaults, guidance, solver and how
 * frames follow from the requested duration.
 */
public enum ModelFamily {
    /** Linum v2 (and zoetrope's own models, which share its layout): shift-3 Euler with APG, 24 fps. */
    LINUM("Linum v2", 24, Guidance.Kind.APG, 10.0, FlowScheduler.Kind.EULER, 3.0, 20, "", 256),
    /** Wan 2.1 text-to-video: FlowUniPC with CFG, 16 fps, 81 frames. */
    WAN("Wan 2.1", 16, Guidance.Kind.CFG, 5.0, FlowScheduler.Kind.UNIPC, 5.0, 42, "", 512);

    public static final int DEFAULT_STEPS = 50;
    /** Wan's default clip: 81 frames at 16 fps. */
    public static final int WAN_DEFAULT_FRAMES = 81;

    private final String displayName;
    private final int fps;
    private final Guidance.Kind guidance;
    private final double defaultGuidance;
    private final FlowScheduler.Kind solver;
    private final double shift;
    private final long defaultSeed;
    private final String defaultNegativePrompt;
    private final int textLength;

    ModelFamily(String displayName, int fps, Guidance.Kind guidance, double defaultGuidance, FlowScheduler.Kind solver,
                double shift, long defaultSeed, String defaultNegativePrompt, int textLength) {
        this.displayName = displayName;
        this.fps = fps;
        this.guidance = guidance;
        this.defaultGuidance = defaultGuidance;
        this.solver = solver;
        this.shift = shift;
        this.defaultSeed = defaultSeed;
        this.defaultNegativePrompt = defaultNegativePrompt;
        this.textLength = textLength;
    }

    public String displayName() {
        return displayName;
    }

    public int fps() {
        return fps;
    }

    public Guidance.Kind guidance() {
        return guidance;
    }

    public FlowScheduler.Kind solver() {
        return solver;
    }

    public double shift() {
        return shift;
    }

    public int textLength() {
        return textLength;
    }

    /** {@link #frames(double, int)} at the family's frame rate. */
    public int frames(double seconds) {
        return frames(seconds, fps);
    }

    /**
     * Frames for a clip of {@code seconds}: Linum takes fps·⌊seconds⌋+1; Wan rounds fps·seconds to the nearest
     * 4n+1 (5 s at 16 fps is Wan's 81 frames).
     */
    public int frames(double seconds, int fps) {
        return switch (this) {
            case LINUM -> fps * (int) Math.floor(seconds) + 1;
            case WAN -> 4 * (int) Math.round(fps * seconds / 4.0) + 1;
        };
    }

    /** The resolutions this family's checkpoints were trained at: name → {width, height}. */
    public Map<String, int[]> resolutions() {
        Map<String, int[]> r = new LinkedHashMap<>();
        switch (this) {
            case LINUM -> {
                r.put("360p", new int[]{640, 360});
                r.put("720p", new int[]{1280, 720});
            }
            case WAN -> {
                r.put("480p", new int[]{832, 480});
                r.put("720p", new int[]{1280, 720});
            }
        }
        return r;
    }

    /** Defaults and limits; {@code nativeResolution} is the one the checkpoint was made for. */
    public ModelCapabilities capabilities(String nativeResolution) {
        Map<String, int[]> res = resolutions();
        if (!res.containsKey(nativeResolution))
            throw new IllegalArgumentException(displayName + " has no resolution " + nativeResolution + "; it has " + res.keySet());
        return switch (this) {
            // one Linum checkpoint per resolution: offer only the one this checkpoint was trained for
            case LINUM -> new ModelCapabilities(displayName, Map.of(nativeResolution, res.get(nativeResolution)),
                    nativeResolution, 2, 5, 2, fps, 1, 1000,
                    DEFAULT_STEPS, defaultGuidance, defaultNegativePrompt, defaultSeed, textLength);
            case WAN -> new ModelCapabilities(displayName, res, nativeResolution, 1, 10,
                    (WAN_DEFAULT_FRAMES - 1) / (double) fps, fps, 1, 1000, DEFAULT_STEPS, defaultGuidance,
                    defaultNegativePrompt, defaultSeed, textLength);
        };
    }
}
