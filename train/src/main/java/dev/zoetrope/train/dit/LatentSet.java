package dev.zoetrope.train.dit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.vae.WanVae;
import dev.zoetrope.train.data.ClipSet;
import dev.zoetrope.train.shards.ClipRecord;
import dev.zoetrope.train.shards.ShardClip;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.train.shards.ShardWriter;

/**
 * The DiT's training data in memory: VAE latents (N, C, F, H, W) and caption token ids, read from shards
 * (the format curation writes too), plus per-channel latent statistics for Linum's
 * {@code video_data_scale}/{@code video_data_bias}.
 */
public final class LatentSet implements AutoCloseable {
    private final Tensor latents;
    private final List<int[][]> textIds;
    private final List<String> captions;

    private LatentSet(Tensor latents, List<int[][]> textIds, List<String> captions) {
        this.latents = latents;
        this.textIds = textIds;
        this.captions = captions;
    }

    /**
     * Encodes every clip of {@code clips} with the VAE mean (on the device its weights live on) and tokenizes its caption
     * into shards at {@code out}. Clips already in the shards are skipped, so an interrupted run resumes.
     */
    public static void writeShards(ClipSet clips, WanVae vae, Tokenizer tokenizer, Path out, int clipsPerShard) throws IOException {
        writeShards(clips, vae, i -> new int[][]{tokenizer.encode(clips.captions().get(i))}, out, clipsPerShard);
    }

    /** The token ids of the phrasings a clip trains with, by the clip's index in its {@link ClipSet}. */
    @FunctionalInterface
    public interface Phrasings {
        int[][] of(int clip);
    }

    /**
     * {@link #writeShards(ClipSet, WanVae, Tokenizer, Path, int)} with several phrasings of each clip's caption, of which
     * training draws one per step ({@link TextToVideoTask}).
     */
    public static void writeShards(ClipSet clips, WanVae vae, Phrasings phrasings, Path out, int clipsPerShard) throws IOException {
        int frames = clips.frames() - (clips.frames() - 1) % vae.config().temporalFactor();
        int batch = 16;
        try (ShardWriter writer = ShardWriter.open(out, clipsPerShard);
             ProgressBar bar = new ProgressBar("latents", clips.size(), "clip")) {
            for (int start = 0; start < clips.size(); start += batch) {
                List<Integer> todo = new ArrayList<>();
                for (int i = start; i < Math.min(clips.size(), start + batch); i++)
                    if (!writer.contains(clips.ids().get(i))) todo.add(i);
                if (!todo.isEmpty()) {
                    long[] idx = todo.stream().mapToLong(Integer::longValue).toArray();
                    try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
                        // Short clips encode whole, a batch at a time: equal to the chunked encode, with far fewer calls.
                        Tensor mu = Ops.toHost(vae.encodeWhole(vae.onDevice(clips.batch(idx, 0, frames))));
                        for (int j = 0; j < idx.length; j++) {
                            Tensor one = mu.select(0, j);
                            int i = (int) idx[j];
                            String id = clips.ids().get(i), caption = clips.captions().get(i);
                            ClipRecord record = ClipRecord.of(id, caption, id, 0, 0, 0, clips.width(), clips.height(), frames, Map.of());
                            writer.add(record, List.of(ShardTensor.f32(ShardTensor.LATENTS, Tensors.shape(one), Tensors.toFloats(one)),
                                    ShardTensor.textIds(phrasings.of(i))));
                        }
                    }
                }
                bar.stepTo(Math.min(clips.size(), start + batch));
            }
        }
    }

    /** Reads latents and token ids of every clip in the shards at {@code dir}. */
    public static LatentSet read(Path dir) {
        List<Tensor> parts = new ArrayList<>();
        List<int[][]> ids = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); ShardReader reader = ShardReader.open(dir)) {
            for (ShardClip c : reader) {
                if (!c.has(ShardTensor.LATENTS) || !c.has(ShardTensor.TEXT_IDS))
                    throw new InvalidRequestException(dir + ": clip " + c.record().clipId() + " has no latents or text ids; "
                            + "build the shards with the recipe's latents stage or `zoetrope curate --latents-from MODEL_DIR`");
                Tensor z = c.load(ShardTensor.LATENTS).to(DType.F32.scalarType());
                if (!parts.isEmpty() && !java.util.Arrays.equals(Tensors.shape(parts.getFirst()), Tensors.shape(z)))
                    throw new InvalidRequestException(dir + ": clip " + c.record().clipId() + " has latents " + Tensors.shapeString(Tensors.shape(z))
                            + ", the first clip " + Tensors.shapeString(Tensors.shape(parts.getFirst())) + "; clips are batched, so all need one shape");
                parts.add(z);
                ids.add(phrasings(c.load(ShardTensor.TEXT_IDS)));
                captions.add(c.record().caption());
            }
            if (parts.isEmpty()) throw new InvalidRequestException(dir + " holds no clips");
            Tensor all = Scopes.pin(torch.stack(new TensorVector(parts.toArray(Tensor[]::new)), 0));
            return new LatentSet(all, List.copyOf(ids), List.copyOf(captions));
        }
    }

    /** A clip's text ids as rows: one for L ids, P for P×L (each without its −1 padding). */
    private static int[][] phrasings(Tensor textIds) {
        long[] shape = Tensors.shape(textIds);
        long[] l = Tensors.toLongs(textIds);
        int rows = shape.length == 2 ? (int) shape[0] : 1, width = l.length / Math.max(1, rows);
        int[][] out = new int[rows][];
        for (int r = 0; r < rows; r++) {
            int n = 0;
            while (n < width && l[r * width + n] != -1) n++;
            out[r] = new int[n];
            for (int i = 0; i < n; i++) out[r][i] = (int) l[r * width + i];
        }
        return out;
    }

    public int size() {
        return textIds.size();
    }

    public Tensor latents() {
        return latents;
    }

    /** Per clip, the token ids of each of its phrasings (one row for a clip stored with one). */
    public List<int[][]> textIds() {
        return textIds;
    }

    public List<String> captions() {
        return captions;
    }

    /** Per-channel mean and std over all clips and positions, as {mean[], std[]}. */
    public float[][] channelStats() {
        try (PointerScope scope = new PointerScope()) {
            Tensor perChannel = latents.transpose(0, 1).reshape(latents.size(1), -1);
            Tensor mean = perChannel.mean(new long[]{1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
            Tensor std = perChannel.std(new long[]{1}, true, false);
            return new float[][]{Tensors.toFloats(mean), Tensors.toFloats(std)};
        }
    }

    @Override
    public void close() {
        Scopes.release(latents);
    }
}
