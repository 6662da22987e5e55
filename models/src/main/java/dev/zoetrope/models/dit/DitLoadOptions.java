package dev.zoetrope.models.dit;

import java.util.List;

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
 * @param loras     LoRA adapters merged into the weights as they load
 * @param loraLenient skip adapter keys in no known form and modules that match no weight, instead of refusing them
 */
public record DitLoadOptions(DitConfig config, JsonNode overrides, DType cast, Attention.Options attention, Device device,
                             boolean streamBlocks, List<Lora> loras, boolean loraLenient) {
    public DitLoadOptions {
        if (attention == null) attention = Attention.Options.defaults();
        loras = loras == null ? List.of() : List.copyOf(loras);
    }

    public static DitLoadOptions defaults() {
        return new DitLoadOptions(null, null, null, Attention.Options.defaults(), null, false, List.of(), false);
    }

    public DitLoadOptions withConfig(DitConfig c) {
        return new DitLoadOptions(c, overrides, cast, attention, device, streamBlocks, loras, loraLenient);
    }

    public DitLoadOptions withOverrides(JsonNode o) {
        return new DitLoadOptions(config, o, cast, attention, device, streamBlocks, loras, loraLenient);
    }

    public DitLoadOptions withCast(DType d) {
        return new DitLoadOptions(config, overrides, d, attention, device, streamBlocks, loras, loraLenient);
    }

    /** Where the weights go as they load, tensor by tensor (null: the CPU). */
    public DitLoadOptions withDevice(Device d) {
        return new DitLoadOptions(config, overrides, cast, attention, d, streamBlocks, loras, loraLenient);
    }

    /** Streams the blocks from host memory (see {@link #streamBlocks}). */
    public DitLoadOptions withStreamedBlocks(boolean stream) {
        return new DitLoadOptions(config, overrides, cast, attention, device, stream, loras, loraLenient);
    }

    /** Merges {@code adapters} into the weights as they load. */
    public DitLoadOptions withLoras(List<Lora> adapters, boolean lenient) {
        return new DitLoadOptions(config, overrides, cast, attention, device, streamBlocks, adapters, lenient);
    }

    public DitLoadOptions withAttention(Attention.Options a) {
        return new DitLoadOptions(config, overrides, cast, a, device, streamBlocks, loras, loraLenient);
    }
}
