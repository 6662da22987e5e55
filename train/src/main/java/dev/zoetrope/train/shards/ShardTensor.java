package dev.zoetrope.train.shards;

import java.lang.foreign.MemorySegment;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;

/**
 * One tensor of a clip to store: raw little-endian bytes of {@code dtype} with {@code shape}.
 * Standard names: {@code frames} (U8, F×H×W×3 RGB), {@code latents} (BF16/F32, C×F×H×W),
 * {@code text_ids} (I32, L; or P×L for P phrasings of one caption, rows padded with −1), {@code text_states} (BF16/F32, L×D).
 */
public record ShardTensor(String name, DType dtype, long[] shape, MemorySegment data) {
    public static final String FRAMES = "frames";
    public static final String LATENTS = "latents";
    public static final String TEXT_IDS = "text_ids";
    public static final String TEXT_STATES = "text_states";

    public ShardTensor {
        if (name == null || name.isEmpty() || name.contains("/"))
            throw new IllegalArgumentException("tensor name '" + name + "' must be non-empty and contain no '/'");
        long expected = Tensors.numel(shape) * dtype.size();
        if (data.byteSize() != expected)
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes for " + dtype.code()
                    + " " + java.util.Arrays.toString(shape) + " (needs " + expected + ")");
    }

    public static ShardTensor of(String name, DType dtype, long[] shape, byte[] bytes) {
        return new ShardTensor(name, dtype, shape, MemorySegment.ofArray(bytes));
    }

    /** RGB24 frames, F×H×W×3. */
    public static ShardTensor frames(int frames, int height, int width, byte[] rgb) {
        return of(FRAMES, DType.U8, new long[]{frames, height, width, 3}, rgb);
    }

    /** Token ids, little-endian I32. */
    public static ShardTensor textIds(int[] ids) {
        MemorySegment seg = MemorySegment.ofArray(new byte[ids.length * 4]);
        for (int i = 0; i < ids.length; i++)
            seg.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4L * i, ids[i]);
        return new ShardTensor(TEXT_IDS, DType.I32, new long[]{ids.length}, seg);
    }

    /**
     * Token ids of several phrasings of a clip's caption: P×L, each row padded with −1 (no token id) to the longest; one
     * phrasing is stored as {@link #textIds(int[])} stores it.
     */
    public static ShardTensor textIds(int[][] phrasings) {
        if (phrasings.length == 0) throw new IllegalArgumentException("a clip needs at least one phrasing");
        if (phrasings.length == 1) return textIds(phrasings[0]);
        int width = java.util.Arrays.stream(phrasings).mapToInt(r -> r.length).max().orElseThrow();
        int[] flat = new int[phrasings.length * width];
        java.util.Arrays.fill(flat, -1);
        for (int i = 0; i < phrasings.length; i++) System.arraycopy(phrasings[i], 0, flat, i * width, phrasings[i].length);
        ShardTensor t = textIds(flat);
        return new ShardTensor(TEXT_IDS, DType.I32, new long[]{phrasings.length, width}, t.data());
    }

    /** Float32 values, little-endian. */
    public static ShardTensor f32(String name, long[] shape, float[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++)
            seg.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4L * i, values[i]);
        return new ShardTensor(name, DType.F32, shape, seg);
    }
}
