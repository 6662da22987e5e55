package dev.zoetrope.models;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.pipeline.ModelCapabilities;
import dev.zoetrope.models.sampling.FlowScheduler;
import dev.zoetrope.models.sampling.Guidance;

/**
 * The model families, and every fact that is the family's rather than a checkpoint's: the released DiT, what its
 * weights cannot tell (text length, norm eps, frame mask, head width), and how it samples (frame rate, guidance,
 * solver, shift, seed, resolutions). Linum v2 and Wan 2.1 share one architecture; zoetrope's own models are Linum's.
 */
public enum ModelFamily {
    /** Linum v2 (and zoetrope's models): frame mask, affine modulated norms (eps 1e-5), shift-3 Euler with APG, 24 fps. */
    LINUM("Linum v2", 24, Guidance.Kind.APG, 10.0, FlowScheduler.Kind.EULER, 3.0, 20, 256, 1e-5, true),
    /** Wan 2.1 text-to-video: biases everywhere, non-affine norms (eps 1e-6), FlowUniPC with CFG, 16 fps, 81 frames. */
    WAN("Wan 2.1", 16, Guidance.Kind.CFG, 5.0, FlowScheduler.Kind.UNIPC, 5.0, 42, 512, 1e-6, false);

    public static final int DEFAULT_STEPS = 50;
    /** Wan's default negative prompt ({@code sample_neg_prompt} of its shared config), used when the user gives none. */
    public static final String WAN_NEGATIVE_PROMPT = "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，"
            + "JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，"
            + "三条腿，背景人很多，倒着走";
    /** Wan's default clip: 81 frames at 16 fps. */
    public static final int WAN_DEFAULT_FRAMES = 81;
    /** Both families use heads of 128 channels; the head count is not visible in the weight shapes. */
    public static final int HEAD_DIM = 128;

    private final String displayName;
    private final int fps;
    private final Guidance.Kind guidance;
    private final double defaultGuidance;
    private final FlowScheduler.Kind solver;
    private final double shift;
    private final long defaultSeed;
    private final int textLength;
    private final double layerNormEps;
    private final boolean frameMask;

    ModelFamily(String displayName, int fps, Guidance.Kind guidance, double defaultGuidance, FlowScheduler.Kind solver,
                double shift, long defaultSeed, int textLength, double layerNormEps, boolean frameMask) {
        this.displayName = displayName;
        this.fps = fps;
        this.guidance = guidance;
        this.defaultGuidance = defaultGuidance;
        this.solver = solver;
        this.shift = shift;
        this.defaultSeed = defaultSeed;
        this.textLength = textLength;
        this.layerNormEps = layerNormEps;
        this.frameMask = frameMask;
    }

    /** The released DiT: Linum v2 2B (dim 1664, 40 blocks) or Wan 2.1 T2V-1.3B (dim 1536, 30 blocks). */
    public DitConfig dit() {
        return switch (this) {
            case LINUM -> new DitConfig(this, 1664, 8192, 13, 40, 256, 4096, textLength, 16, 16, new DitConfig.PatchSize(1, 2, 2),
                    layerNormEps, 1e-6, false, false, true, true, true, frameMask);
            case WAN -> new DitConfig(this, 1536, 8960, 12, 30, 256, 4096, textLength, 16, 16, new DitConfig.PatchSize(1, 2, 2),
                    layerNormEps, 1e-6, true, true, false, true, true, frameMask);
        };
    }

    /** Wan 2.1 T2V-14B's DiT (dim 5120, 40 blocks of 40 heads): the larger Wan release. */
    public static DitConfig wan14b() {
        return new DitConfig(WAN, 5120, 13824, 40, 40, 256, 4096, WAN.textLength, 16, 16, new DitConfig.PatchSize(1, 2, 2),
                WAN.layerNormEps, 1e-6, true, true, false, true, true, WAN.frameMask);
    }

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static ModelFamily parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "linum", "linum-v2", "linum_v2" -> LINUM;
            case "wan", "wan2.1", "wan21", "wan-2.1" -> WAN;
            default -> throw new ConfigException("unknown model family '" + s + "'; use linum or wan");
        };
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

    /** Text tokens the DiT attends to (its {@code text_len}), and so the prompt length after tokenizing. */
    public int textLength() {
        return textLength;
    }

    /** Eps of every LayerNorm of the DiT (Linum 1e-5, the PyTorch default; Wan 1e-6). */
    public double layerNormEps() {
        return layerNormEps;
    }

    /** Whether the DiT masks the tokens of frames past each sample's length. */
    public boolean frameMask() {
        return frameMask;
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

    /**
     * The clip length that makes exactly {@code frames} frames at {@code fps} ({@link #frames(double, int)} inverted),
     * for callers that count frames, as Wan's {@code --frame_num} does; a count this family cannot make is refused.
     */
    public double seconds(int frames, int fps) {
        double seconds = (frames - 1) / (double) fps;
        if (frames < 1 || frames(seconds, fps) != frames)
            throw new InvalidRequestException(frames + " frames: " + displayName + " makes " + switch (this) {
                case LINUM -> fps + "n+1 frames at " + fps + " fps (e.g. " + (2 * fps + 1) + ")";
                case WAN -> "4n+1 frames (e.g. " + WAN_DEFAULT_FRAMES + ")";
            });
        return seconds;
    }

    /**
     * The DiT width of the text-to-video model a Wan {@code generate.py --task} names: t2v-1.3B is 1536 wide, t2v-14B
     * 5120. Other tasks (image-to-video, VACE, text-to-image) are refused: this project generates text-to-video.
     */
    public static int wanTaskDim(String task) {
        return switch (task.trim()) {
            case "t2v-1.3B" -> 1536;
            case "t2v-14B" -> 5120;
            default -> throw new InvalidRequestException("--task " + task + ": only Wan 2.1's text-to-video tasks run here, "
                    + "t2v-1.3B and t2v-14B");
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
            case WAN -> { // Wan's SUPPORTED_SIZES, landscape and portrait
                r.put("480p", new int[]{832, 480});
                r.put("480p-portrait", new int[]{480, 832});
                r.put("720p", new int[]{1280, 720});
                r.put("720p-portrait", new int[]{720, 1280});
            }
        }
        return r;
    }

    /**
     * Whether {@code width}×{@code height} is a size this family's release was made for at the DiT's size: Wan 2.1
     * 1.3B only 832×480 (either way round), 14B also 1280×720. Other sizes run, with a warning. Linum checkpoints
     * (and zoetrope's) offer only the sizes they were made for, so every size they accept is theirs.
     */
    public boolean official(DitConfig dit, int width, int height) {
        return switch (this) {
            case LINUM -> true;
            case WAN -> Math.max(width, height) == 832 && Math.min(width, height) == 480
                    || dit.dim() > 1536 && Math.max(width, height) == 1280 && Math.min(width, height) == 720;
        };
    }

    /** Defaults and limits; {@code nativeResolution} is the one the checkpoint was made for. */
    public ModelCapabilities capabilities(String nativeResolution) {
        Map<String, int[]> res = resolutions();
        if (!res.containsKey(nativeResolution))
            throw new ConfigException(displayName + " has no resolution " + nativeResolution + "; it has " + res.keySet());
        return switch (this) {
            // one Linum checkpoint per resolution: offer only the one this checkpoint was trained for
            case LINUM -> new ModelCapabilities(displayName, Map.of(nativeResolution, res.get(nativeResolution)),
                    nativeResolution, 2, 5, 2, fps, 1, 1000, DEFAULT_STEPS, defaultGuidance, "", defaultSeed, textLength);
            case WAN -> new ModelCapabilities(displayName, res, nativeResolution, 1, 10,
                    (WAN_DEFAULT_FRAMES - 1) / (double) fps, fps, 1, 1000, DEFAULT_STEPS, defaultGuidance, WAN_NEGATIVE_PROMPT,
                    defaultSeed, textLength);
        };
    }
}
