package dev.zoetrope.models.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.nn.Attention;

/**
 * The benches build their random models on the device they are given and move their inputs there: on libtorch's meta
 * device (standing in for a GPU) every forward runs whole, with a host tensor in the mix it would fail, and the device
 * they report is read from their outputs.
 */
class BenchOnMetaTest {
    static final Device META = new Device("meta");

    @Test
    void ditBenchRunsOnTheDevice() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        DitBench.Options o = new DitBench.Options(1, DType.BF16, 2, 1, 8, 8, 2, 1, Attention.Options.defaults());
        DitBench.Report r = DitBench.run(o, META, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals("meta", r.device());
        assertEquals(16, r.tokens());
        assertTrue(r.describe().startsWith("dit BF16 on meta, 1 block(s), batch 2"), r.describe());
        // matmul and softmax have meta kernels, libtorch's fused attention has none
        assertEquals("self CHUNKED, cross CHUNKED", r.attentionKernels());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("forward 2/2"), log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void t5BenchRunsOnTheDevice() {
        T5Bench.Result r = T5Bench.run(DType.BF16, 1, 8, 1, META);
        assertEquals("meta", r.device());
        assertTrue(r.describe().startsWith("t5 xxl BF16 on meta, 1 block(s), 8 tokens"), r.describe());
    }

    @Test
    void vaeDecodeBenchRunsOnTheDevice() {
        VaeDecodeBench.Result r = VaeDecodeBench.run(new VaeDecodeBench.Setup(4, 2, 2, 3, null, 64, 1), META, false);
        assertEquals("meta", r.device());
        assertEquals(5, r.videoFrames());
        assertTrue(r.report().startsWith("vae-decode on meta: "), r.report());
    }
}
