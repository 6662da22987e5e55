package dev.zoetrope.train.shards;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.safetensors.SafetensorsFile;

/**
 * One stored clip: its record and access to its tensors. Valid while the {@link ShardReader} that returned it is
 * open and has not evicted its shard; copy out ({@link #bytes}, {@link #load}) what must outlive that.
 */
public record ShardClip(ClipRecord record, SafetensorsFile file) {
    public boolean has(String tensor) {
        return record.tensors().containsKey(tensor);
    }

    /** The tensor's raw little-endian bytes. */
    public byte[] bytes(String tensor) {
        return file.bytes(key(tensor));
    }

    /** The tensor as an engine tensor (the engine must be initialised). */
    public Tensor load(String tensor) {
        return file.load(key(tensor));
    }

    private String key(String tensor) {
        if (!has(tensor)) throw new ShardException(file.source(), "clip '" + record.clipId() + "' has no tensor '" + tensor
                + "' (it has " + record.tensors().keySet() + ")");
        return record.clipId() + "/" + tensor;
    }
}
