package dev.zoetrope.models.bench;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.ComputeDevice;

class VaeDecodeBenchTest {
    @Test
    void reportsTimeFlopsAndRatiosOnATinySetup() {
        var setup = new VaeDecodeBench.Setup(4, 2, 2, 3, null, 64, 1);
        VaeDecodeBench.Result r = VaeDecodeBench.run(setup, ComputeDevice.CPU, false);
        assertEquals(5, r.videoFrames());
        assertEquals("cpu", r.device(), "read from the decoded frames");
        assertTrue(r.seconds() > 0 && r.convFlops() > 0 && r.tflops() > 0, r.report());
        // the head conv alone: 3 outputs × 5 frames × 16×24 pixels, each a 4·27-term dot product
        assertTrue(r.convFlops() > 2.0 * 3 * 5 * 16 * 24 * 4 * 27, r.report());
        assertEquals(r.tflops() * 1e3 / r.matmulF32().gflops(), r.ratioTo(r.matmulF32()), 1e-12);
        assertTrue(r.report().contains("TFLOP/s") && r.report().contains("16x2x2x3"), r.report());
    }

    @Test
    void aBf16DecodeReportsItsDistanceFromFloat32() {
        var setup = new VaeDecodeBench.Setup(4, 2, 2, 3, null, 64, 1).withDtype(dev.zoetrope.core.engine.DType.BF16);
        VaeDecodeBench.Result r = VaeDecodeBench.run(setup, ComputeDevice.CPU, false);
        assertTrue(r.psnrAgainstF32() > 30 && r.psnrAgainstF32() < 100, "rounded to bf16, close but not equal: " + r.psnrAgainstF32());
        assertTrue(r.report().contains("bf16") && r.report().contains("dB PSNR"), r.report());
        assertTrue(Double.isNaN(VaeDecodeBench.run(new VaeDecodeBench.Setup(4, 2, 2, 3, null, 64, 1), ComputeDevice.CPU, false).psnrAgainstF32()));
    }
}
