package dev.zoetrope.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class SideBySideTest {
    @Test
    void piecesRunOnWorkersWithOneLibtorchThreadEachAndTheCallerKeepsItsThreads() {
        Engine.init();
        int before = torch.get_num_threads();
        try {
            torch.set_num_threads(2);
            assertEquals(2, SideBySide.workers(), "one worker per libtorch thread of the caller (libgomp found and obeying)");
            AtomicIntegerArray threadsSeen = new AtomicIntegerArray(2);
            Set<Thread> where = ConcurrentHashMap.newKeySet();
            float[][] sums = new float[2][];
            SideBySide.run(2, i -> {
                threadsSeen.set(i, torch.get_num_threads());
                where.add(Thread.currentThread());
                try (PointerScope s = new PointerScope()) {
                    Tensor a = torch.ones(256, 256).mul(new org.bytedeco.pytorch.Scalar((double) (i + 1)));
                    sums[i] = Tensors.toFloats(torch.mm(a, a).sum());
                }
            });
            assertEquals(1, threadsSeen.get(0), "a worker runs one libtorch thread");
            assertEquals(1, threadsSeen.get(1));
            assertEquals(2, where.size(), "two pieces, two workers");
            assertTrue(where.stream().noneMatch(t -> t == Thread.currentThread()));
            assertEquals(256f * 256 * 256, sums[0][0], 1f);
            assertEquals(4f * 256 * 256 * 256, sums[1][0], 4f);
            assertEquals(2, torch.get_num_threads(), "the caller's threads are its own");
        } finally {
            torch.set_num_threads(before);
        }
    }

    @Test
    void aFailingPieceIsThrownToTheCallerAndOneThreadRunsInline() {
        Engine.init();
        int before = torch.get_num_threads();
        try {
            torch.set_num_threads(2);
            IllegalStateException boom = new IllegalStateException("piece 1");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> SideBySide.run(2, i -> {
                if (i == 1) throw boom;
            }));
            assertSame(boom, thrown);
            torch.set_num_threads(1);
            assertEquals(1, SideBySide.workers());
            Set<Thread> where = ConcurrentHashMap.newKeySet();
            SideBySide.run(3, i -> where.add(Thread.currentThread()));
            assertEquals(Set.of(Thread.currentThread()), where, "one libtorch thread: the pieces run in the caller");
        } finally {
            torch.set_num_threads(before);
        }
    }
}
