package dev.zoetrope.train.shards;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a shard's JSONL index says about one clip. The tensors themselves live in the shard's safetensors file
 * under {@code {clip_id}/{tensor}}; {@code tensors} lists their dtypes and shapes so a reader can plan without
 * opening the file.
 *
 * @param clipId    unique within the shard set; no '/' (it prefixes tensor names)
 * @param caption   the text the clip is trained with (may be empty)
 * @param source    the source video (path or URI) the clip was cut from
 * @param startS    start time in the source, seconds
 * @param endS      end time in the source, seconds
 * @param fps       frame rate of the stored frames
 * @param width     frame width in pixels
 * @param height    frame height in pixels
 * @param frames    number of frames
 * @param signals   quality signals (name to value), as computed by curation
 * @param tensors   tensor name (without the clip prefix) to its dtype and shape; filled in by the writer
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClipRecord(
        @JsonProperty("clip_id") String clipId,
        @JsonProperty("caption") String caption,
        @JsonProperty("source") String source,
        @JsonProperty("start_s") double startS,
        @JsonProperty("end_s") double endS,
        @JsonProperty("fps") double fps,
        @JsonProperty("width") int width,
        @JsonProperty("height") int height,
        @JsonProperty("frames") int frames,
        @JsonProperty("signals") Map<String, Double> signals,
        @JsonProperty("tensors") Map<String, TensorSpec> tensors) {

    public ClipRecord {
        Objects.requireNonNull(clipId, "clip_id");
        if (clipId.isEmpty() || clipId.contains("/"))
            throw new IllegalArgumentException("clip_id '" + clipId + "' must be non-empty and contain no '/'");
        caption = caption == null ? "" : caption;
        signals = signals == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(signals));
        tensors = tensors == null ? Map.of() : tensors;
    }

    /** A clip description without tensors, for the writer to fill in. */
    public static ClipRecord of(String clipId, String caption, String source, double startS, double endS, double fps,
                                int width, int height, int frames, Map<String, Double> signals) {
        return new ClipRecord(clipId, caption, source, startS, endS, fps, width, height, frames, signals, null);
    }

    ClipRecord withTensors(Map<String, TensorSpec> specs) {
        return new ClipRecord(clipId, caption, source, startS, endS, fps, width, height, frames, signals, specs);
    }

    /** The dtype code (as in safetensors, e.g. {@code U8}) and shape of one stored tensor. */
    public record TensorSpec(@JsonProperty("dtype") String dtype, @JsonProperty("shape") long[] shape) {
        @Override
        public boolean equals(Object o) {
            return o instanceof TensorSpec t && t.dtype.equals(dtype) && java.util.Arrays.equals(t.shape, shape);
        }

        @Override
        public int hashCode() {
            return dtype.hashCode() * 31 + java.util.Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return dtype + java.util.Arrays.toString(shape);
        }
    }
}
