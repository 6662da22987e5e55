package dev.zoetrope.train.reflow;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.train.shards.ShardClip;
import dev.zoetrope.train.shards.ShardReader;
import dev.zoetrope.train.shards.ShardTensor;

/**
 * The teacher's couplings in host memory, as {@link TeacherPairs} stored them: noise and DiT-space latents (N, C, T, H, W)
 * float32, and per pair the index of its caption among the distinct {@link #captions()}.
 */
public final class Couplings implements AutoCloseable {
    private final Tensor noise, latents;
    private final int[] caption;
    private final List<String> captions;

    private Couplings(Tensor noise, Tensor latents, int[] caption, List<String> captions) {
        this.noise = noise;
        this.latents = latents;
        this.caption = caption;
        this.captions = captions;
    }

    public static Couplings read(Path dir) {
        List<Tensor> noise = new ArrayList<>(), latents = new ArrayList<>();
        Map<String, Integer> index = new LinkedHashMap<>();
        List<Integer> caption = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); ShardReader reader = ShardReader.open(dir)) {
            for (ShardClip c : reader) {
                if (!c.has(TeacherPairs.NOISE) || !c.has(ShardTensor.LATENTS))
                    throw new InvalidRequestException(dir + ": " + c.record().clipId() + " has no noise or latents; these are not "
                            + "teacher pairs (make them with the recipe's pairs stage)");
                Tensor n = c.load(TeacherPairs.NOISE).to(DType.F32.scalarType()), z = c.load(ShardTensor.LATENTS).to(DType.F32.scalarType());
                if (!Arrays.equals(Tensors.shape(n), Tensors.shape(z)) || !latents.isEmpty()
                        && !Arrays.equals(Tensors.shape(latents.getFirst()), Tensors.shape(z)))
                    throw new InvalidRequestException(dir + ": " + c.record().clipId() + " has noise " + Tensors.shapeString(Tensors.shape(n))
                            + " and latents " + Tensors.shapeString(Tensors.shape(z)) + "; every pair needs one shape to batch them");
                noise.add(n);
                latents.add(z);
                caption.add(index.computeIfAbsent(c.record().caption(), k -> index.size()));
            }
            if (latents.isEmpty()) throw new InvalidRequestException(dir + " holds no pairs");
            return new Couplings(Scopes.pin(torch.stack(new TensorVector(noise.toArray(Tensor[]::new)), 0)),
                    Scopes.pin(torch.stack(new TensorVector(latents.toArray(Tensor[]::new)), 0)),
                    caption.stream().mapToInt(Integer::intValue).toArray(), List.copyOf(index.keySet()));
        }
    }

    public int size() {
        return caption.length;
    }

    /** (N, C, T, H, W), where each pair's sampling started. */
    public Tensor noise() {
        return noise;
    }

    /** (N, C, T, H, W), where the teacher's sampler ended. */
    public Tensor latents() {
        return latents;
    }

    /** Pair {@code i}'s caption, as an index into {@link #captions()}. */
    public int caption(int i) {
        return caption[i];
    }

    /** The distinct captions, in order of first appearance. */
    public List<String> captions() {
        return captions;
    }

    @Override
    public void close() {
        Scopes.release(noise);
        Scopes.release(latents);
    }
}
