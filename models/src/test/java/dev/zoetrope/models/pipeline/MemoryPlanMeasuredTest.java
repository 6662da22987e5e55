package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.zoetrope.models.bench.MemoryBench;

/**
 * The memory plan's activation figures against what a real pass takes in RAM on the CPU, at the released widths (one
 * DiT block; one VAE tile), each measured in a fresh process ({@link MemoryBench}).
 */
@Tag("slow")
class MemoryPlanMeasuredTest {
    @Test
    void ditForwardPeakIsWhatAForwardTakes() {
        for (int frames : new int[]{5, 9}) {
            MemoryBench.Result r = MemoryBench.inFreshProcess("dit", frames);
            System.out.println(r);
            System.out.println(r);
        assertEquals(1.0, r.ratio(), 0.2, r.toString());
        }
    }

    @Test
    void decodePeakIsWhatADecodeTakes() {
        MemoryBench.Result r = MemoryBench.inFreshProcess("vae", 32);
        System.out.println(r);
        assertEquals(1.0, r.ratio(), 0.2, r.toString());
    }
}
