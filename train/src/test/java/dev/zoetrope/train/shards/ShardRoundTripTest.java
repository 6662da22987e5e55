package dev.zoetrope.train.shards;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardRoundTripTest {
    @TempDir
    Path dir;

    private static byte[] frames(int seed, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + seed * 13);
        return b;
    }

    private static ClipRecord rec(int i) {
        return ClipRecord.of("clip" + i, "caption " + i, "src.mp4", i, i + 2.0, 24, 4, 3, 2, Map.of("motion", i * 0.5));
    }

    @Test
    void writesShardsOfNAndReadsThemSequentiallyAndByRandomAccess() throws Exception {
        try (ShardWriter w = ShardWriter.open(dir, 3)) {
            for (int i = 0; i < 7; i++)
                w.add(rec(i), List.of(ShardTensor.frames(2, 3, 4, frames(i, 2 * 3 * 4 * 3)), ShardTensor.textIds(new int[]{i, i + 1, 1})));
        }
        ShardSet set = ShardSet.read(dir);
        assertEquals(7, set.clips());
        assertEquals(List.of(3, 3, 1), set.shards().stream().map(ShardSet.Shard::clips).toList());
        try (ShardReader r = ShardReader.open(dir)) {
            List<String> ids = new ArrayList<>();
            for (ShardClip c : r) {
                ids.add(c.record().clipId());
                int i = Integer.parseInt(c.record().clipId().substring(4));
                assertArrayEquals(frames(i, 72), c.bytes(ShardTensor.FRAMES));
                assertEquals("caption " + i, c.record().caption());
                assertEquals(i * 0.5, c.record().signals().get("motion"));
                assertArrayEquals(new long[]{2, 3, 4, 3}, c.record().tensors().get("frames").shape());
                byte[] ids32 = c.bytes(ShardTensor.TEXT_IDS);
                assertEquals(12, ids32.length);
                assertEquals(i + 1, ids32[4]);
            }
            assertEquals(List.of("clip0", "clip1", "clip2", "clip3", "clip4", "clip5", "clip6"), ids);
            assertEquals("clip5", r.get(5).record().clipId());
            assertArrayEquals(frames(4, 72), r.get("clip4").orElseThrow().bytes("frames"));
            assertTrue(r.get("nope").isEmpty());
            assertThrows(ShardException.class, () -> r.get(0).bytes("latents"));
        }
    }

    @Test
    void reopeningAppendsAndRefusesKnownIdsAndAnAbortedShardLeavesNoTrace() throws Exception {
        try (ShardWriter w = ShardWriter.open(dir, 2)) {
            w.add(rec(0), List.of());
            w.add(rec(1), List.of());
            w.add(rec(2), List.of());
            w.abort();
        }
        assertEquals(2, ShardSet.read(dir).clips());
        try (ShardWriter w = ShardWriter.open(dir, 2)) {
            assertTrue(w.contains("clip1"));
            assertFalse(w.contains("clip2"));
            assertThrows(IllegalArgumentException.class, () -> w.add(rec(1), List.of()));
            w.add(rec(2), List.of());
        }
        try (ShardReader r = ShardReader.open(dir)) {
            assertEquals(3, r.size());
            assertEquals("clip2", r.get(2).record().clipId());
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".part")));
        }
    }

    @Test
    void aTruncatedIndexIsReportedWithItsFile() throws Exception {
        try (ShardWriter w = ShardWriter.open(dir, 4)) {
            for (int i = 0; i < 2; i++) w.add(rec(i), List.of());
        }
        Files.writeString(dir.resolve("shard-000000.jsonl"), Files.readString(dir.resolve("shard-000000.jsonl")).lines().findFirst().orElseThrow() + "\n");
        try (ShardReader r = ShardReader.open(dir)) {
            ShardException e = assertThrows(ShardException.class, () -> r.get(1));
            assertTrue(e.getMessage().contains("shard-000000.jsonl"), e.getMessage());
        }
    }
}
