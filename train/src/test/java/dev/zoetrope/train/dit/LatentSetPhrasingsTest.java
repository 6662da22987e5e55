package dev.zoetrope.train.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.train.shards.ClipRecord;
import dev.zoetrope.train.shards.ShardTensor;
import dev.zoetrope.train.shards.ShardWriter;

class LatentSetPhrasingsTest {
    @TempDir
    Path dir;

    @Test
    void severalPhrasingsOfAClipRoundTripThroughShardsAndOneStaysOneRow() throws Exception {
        int[][] three = {{5, 6, 1}, {7, 1}, {8, 9, 10, 11, 1}};
        int[] one = {4, 3, 1};
        try (ShardWriter w = ShardWriter.open(dir, 10)) {
            w.add(ClipRecord.of("a", "a caption", "a", 0, 0, 0, 8, 8, 1, Map.of()),
                    List.of(ShardTensor.f32(ShardTensor.LATENTS, new long[]{2, 1, 1, 1}, new float[]{1, 2}), ShardTensor.textIds(three)));
            w.add(ClipRecord.of("b", "b caption", "b", 0, 0, 0, 8, 8, 1, Map.of()),
                    List.of(ShardTensor.f32(ShardTensor.LATENTS, new long[]{2, 1, 1, 1}, new float[]{3, 4}), ShardTensor.textIds(one)));
        }
        assertArrayEquals(new long[]{3, 5}, ShardTensor.textIds(three).shape());
        assertArrayEquals(new long[]{3}, ShardTensor.textIds(new int[][]{one}).shape(), "one phrasing is stored as before");
        try (LatentSet set = LatentSet.read(dir)) {
            assertEquals(2, set.size());
            int[][] a = set.textIds().get(0), b = set.textIds().get(1);
            assertEquals(3, a.length);
            for (int i = 0; i < 3; i++) assertArrayEquals(three[i], a[i]);
            assertEquals(1, b.length);
            assertArrayEquals(one, b[0]);
        }
    }

    @Test
    void trainingDrawsEveryPhrasingAndAlwaysTheOnlyOne() {
        int[][] rows = {{1}, {2}, {3}, {4}};
        Set<Integer> drawn = new HashSet<>();
        for (int step = 0; step < 50; step++)
            for (int s = 0; s < 12; s++) drawn.add(TextToVideoTask.phrasing(rows, step, 0, s)[0]);
        assertEquals(Set.of(1, 2, 3, 4), drawn);
        assertArrayEquals(TextToVideoTask.phrasing(rows, 7, 0, 3), TextToVideoTask.phrasing(rows, 7, 0, 3), "a function of the step");
        int[][] single = {{9, 1}};
        for (int step = 0; step < 20; step++) assertSame(single[0], TextToVideoTask.phrasing(single, step, 0, step % 5));
    }
}
