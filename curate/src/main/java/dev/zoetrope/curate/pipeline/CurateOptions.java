package dev.zoetrope.curate.pipeline;

import java.io.Serializable;
import java.util.List;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.curate.filter.FilterConfig;
import dev.zoetrope.curate.vlm.ChatClient;

/**
 * Everything a curation run needs. Serializable, because the Beam workers receive it with their functions.
 *
 * @param inputs          video files, directories (searched recursively) or text files listing paths
 * @param out             output directory (clips, shards, manifest, report, done markers)
 * @param minClipSeconds  shortest clip window; shots shorter than this give no clip
 * @param maxClipSeconds  longest clip window; longer shots are tiled
 * @param fps             output frame rate (clips are resampled to it)
 * @param width           output width (frames are scaled to cover it and centre-cropped)
 * @param height          output height
 * @param trimFrames      source frames left out at each shot edge, so transition frames stay out of clips
 * @param filter          rule thresholds
 * @param modelPath       learned filter model JSON, or null
 * @param vlm             VLM endpoint settings, or null to skip that stage
 * @param clipsPerShard   clips per training shard
 * @param crf             x264 quality of the stored clip previews (lower is closer to lossless)
 * @param maxSourcePixels largest picture (width × height) a source may declare; larger ones are refused as
 *                        {@code too_large} before a frame is decoded, since one frame alone can cost gigabytes
 * @param rangeSeconds    a source longer than about 1.5 × this is split into time ranges of this length, scanned and cut
 *                        in parallel (the same clips as one piece)
 */
public record CurateOptions(List<String> inputs, String out, double minClipSeconds, double maxClipSeconds, double fps,
                            int width, int height, int trimFrames, FilterConfig filter, String modelPath,
                            VlmSettings vlm, int clipsPerShard, int crf, long maxSourcePixels, double rangeSeconds)
        implements Serializable {
    /** 8192×4320 (DCI 8K): every camera and delivery format passes, a hostile header does not. */
    public static final long DEFAULT_MAX_SOURCE_PIXELS = 8192L * 4320;
    /** Ten minutes: an hour-long source is six elements of work. */
    public static final double DEFAULT_RANGE_SECONDS = 600;

    public CurateOptions {
        if (inputs == null || inputs.isEmpty()) throw new InvalidRequestException("no inputs given");
        if (minClipSeconds <= 0 || maxClipSeconds < minClipSeconds)
            throw new InvalidRequestException("clip length range " + minClipSeconds + ".." + maxClipSeconds + " s is not valid");
        if (width < 16 || height < 16 || width % 2 != 0 || height % 2 != 0)
            throw new InvalidRequestException("output size " + width + "x" + height + " must be even and at least 16x16");
        if (clipsPerShard < 1) throw new InvalidRequestException("clips per shard must be at least 1, got " + clipsPerShard);
        if (maxSourcePixels < 1) throw new InvalidRequestException("the source size limit must be at least 1 pixel, got " + maxSourcePixels);
        if (!(rangeSeconds >= 2 * maxClipSeconds))
            throw new InvalidRequestException("time ranges of " + rangeSeconds + " s are too short: give at least twice the longest clip ("
                    + 2 * maxClipSeconds + " s)");
        inputs = List.copyOf(inputs);
    }

    /** With the default source size limit. */
    public CurateOptions(List<String> inputs, String out, double minClipSeconds, double maxClipSeconds, double fps,
                         int width, int height, int trimFrames, FilterConfig filter, String modelPath, VlmSettings vlm,
                         int clipsPerShard, int crf) {
        this(inputs, out, minClipSeconds, maxClipSeconds, fps, width, height, trimFrames, filter, modelPath, vlm,
                clipsPerShard, crf, DEFAULT_MAX_SOURCE_PIXELS, DEFAULT_RANGE_SECONDS);
    }

    public static CurateOptions defaults(List<String> inputs, String out) {
        return new CurateOptions(inputs, out, 2.0, 5.0, 24.0, 640, 360, 2, FilterConfig.DEFAULT, null, null, 64, 12);
    }

    public CurateOptions withSize(int w, int h) {
        return new CurateOptions(inputs, out, minClipSeconds, maxClipSeconds, fps, w, h, trimFrames, filter, modelPath, vlm, clipsPerShard, crf, maxSourcePixels, rangeSeconds);
    }

    public CurateOptions withClipSeconds(double min, double max) {
        return new CurateOptions(inputs, out, min, max, fps, width, height, trimFrames, filter, modelPath, vlm, clipsPerShard, crf, maxSourcePixels, rangeSeconds);
    }

    public CurateOptions withFilter(FilterConfig f) {
        return new CurateOptions(inputs, out, minClipSeconds, maxClipSeconds, fps, width, height, trimFrames, f, modelPath, vlm, clipsPerShard, crf, maxSourcePixels, rangeSeconds);
    }

    public CurateOptions withModel(String path) {
        return new CurateOptions(inputs, out, minClipSeconds, maxClipSeconds, fps, width, height, trimFrames, filter, path, vlm, clipsPerShard, crf, maxSourcePixels, rangeSeconds);
    }

    public CurateOptions withVlm(VlmSettings v) {
        return new CurateOptions(inputs, out, minClipSeconds, maxClipSeconds, fps, width, height, trimFrames, filter, modelPath, v, clipsPerShard, crf, maxSourcePixels, rangeSeconds);
    }

    public CurateOptions withClipsPerShard(int n) {
        return new CurateOptions(inputs, out, minClipSeconds, maxClipSeconds, fps, width, height, trimFrames, filter, modelPath, vlm, n, crf, maxSourcePixels, rangeSeconds);
    }

    public CurateOptions withMaxSourcePixels(long pixels) {
        return new CurateOptions(inputs, out, minClipSeconds, maxClipSeconds, fps, width, height, trimFrames, filter, modelPath, vlm, clipsPerShard, crf, pixels, rangeSeconds);
    }

    public CurateOptions withRangeSeconds(double seconds) {
        return new CurateOptions(inputs, out, minClipSeconds, maxClipSeconds, fps, width, height, trimFrames, filter, modelPath, vlm, clipsPerShard, crf, maxSourcePixels, seconds);
    }

    /** The VLM endpoint, in plain serializable fields. */
    public record VlmSettings(String baseUrl, String model, String apiKeyEnv, double requestsPerSecond, int timeoutSeconds,
                              int maxRetries, int frames) implements Serializable {
        public ChatClient.Settings toSettings() {
            String key = apiKeyEnv == null ? null : System.getenv(apiKeyEnv);
            return ChatClient.Settings.of(java.net.URI.create(baseUrl), model).withApiKey(key).withRate(requestsPerSecond)
                    .withRetry(maxRetries, java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(timeoutSeconds));
        }
    }
}
