package dev.zoetrope.models.dit;

import org.bytedeco.pytorch.Device;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.nn.Attention;

/**
 * How to load a DiT checkpoint.
 *
 * @param config    the whole config; null to infer it from the weights
 * @param overrides config fields applied over the inferred config (as in {@link DitConfig#withOverrides});
 *                  null to use a {@code config.json} beside the weights if there is one
 * @param cast      cast every floating weight to this dtype on load (which also allows mixed checkpoints);
 *                  null keeps the stored dtype
 * @param attention attention kernel and workspace bound
 * @param device    where the weights go as they load (null: the CPU)
 * @param streamBlocks keep the blocks' weights in host memory and copy each block to the device just before it runs
 *                  (sequential offload: the device holds one block at a time)
 */
public record DitLoadOptions(DitConfig config, JsonNode overrides, DType cast, Attention.Options attention, Device device,
                             boolean streamBlocks) {
    public DitLoadOptions {
        if (attention == null) attention = Attention.Options.defaults();
    }

    public static DitLoadOptions defaults() {
        return new DitLoadOptions(null, null, null, Attention.Options.defaults(), null, false);
    }

    public DitLoadOptions withConfig(DitConfig c) {
        return new DitLoadOptions(c, overrides, cast, attention, device, streamBlocks);
    }

    public DitLoadOptions withOverrides(JsonNode o) {
        return new DitLoadOptions(config, o, cast, attention, device, streamBlocks);
    }

    public DitLoadOptions withCast(DType d) {
        return new DitLoadOptions(config, overrides, d, attention, device, streamBlocks);
    }

    /** Where the weights go as they load, tensor by tensor (null: the CPU). */
    public DitLoadOptions withDevice(Device d) {
        return new DitLoadOptions(config, overrides, cast, attention, d, streamBlocks);
    }

    /** Streams the blocks from host memory (see {@link #streamBlocks}). */
    public DitLoadOptions withStreamedBlocks(boolean stream) {
        return new DitLoadOptions(config, overrides, cast, attention, device, stream);
    }

    public DitLoadOptions withAttention(Attention.Options a) {
        return new DitLoadOptions(config, overrides, cast, a, device, streamBlocks);
    }
}
