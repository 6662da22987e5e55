package dev.zoetrope.core.engine;

import java.util.OptionalLong;

import org.bytedeco.pytorch.SizeTPair;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * A CUDA device's memory as libtorch's caching allocator sees it: what is free for the next stage, and the peak of
 * what tensors took. On the CPU there is no such figure (empty); these calls reach the CUDA natives only for a
 * {@link ComputeDevice.Cuda}, which {@link ComputeDevice#resolve} gives only when the CUDA flavour sees the device.
 */
public final class DeviceMemory {
    private DeviceMemory() {}

    /** Bytes free on {@code device} once the allocator has handed its cached, unused blocks back to the driver. */
    public static OptionalLong free(ComputeDevice device) {
        if (!(device instanceof ComputeDevice.Cuda c)) return OptionalLong.empty();
        var allocator = torch_cuda.getAllocator();
        allocator.emptyCache();
        try (SizeTPair freeAndTotal = allocator.getMemoryInfo(index(c))) {
            return OptionalLong.of(freeAndTotal.first());
        }
    }

    /** The most bytes tensors held on {@code device} at once since the last {@link #resetPeak}. */
    public static OptionalLong peakAllocated(ComputeDevice device) {
        if (!(device instanceof ComputeDevice.Cuda c)) return OptionalLong.empty();
        return OptionalLong.of(torch_cuda.getAllocator().getDeviceStats(index(c)).allocated_bytes().peak());
    }

    public static void resetPeak(ComputeDevice device) {
        if (device instanceof ComputeDevice.Cuda c) torch_cuda.getAllocator().resetPeakStats(index(c));
    }

    private static byte index(ComputeDevice.Cuda c) {
        return (byte) Math.max(0, c.index());
    }
}
