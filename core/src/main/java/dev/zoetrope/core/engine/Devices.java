package dev.zoetrope.core.engine;

import java.util.OptionalLong;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.SizeTPair;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * What a device is doing: waiting for its queued work, and its memory as libtorch's caching allocator sees it. The
 * memory calls answer for a {@link ComputeDevice.Cuda} only (empty elsewhere), which {@link ComputeDevice#resolve}
 * gives only when the CUDA flavour sees the device, so the CUDA natives are never reached on a CPU build.
 */
public final class Devices {
    private Devices() {}

    /**
     * Returns once every kernel queued on {@code device} has finished. CUDA runs kernels asynchronously from the host, so
     * a timing that does not wait measures only their launch. A no-op on the CPU ({@code null} or {@code cpu}), whose
     * kernels have finished when the call returns, and on {@code meta}, which runs none.
     */
    public static void synchronize(Device device) {
        if (device != null && device.is_cuda()) torch.cuda_synchronize(device.index());
    }

    /** Bytes free on {@code device} once the allocator has handed its cached, unused blocks back to the driver. */
    public static OptionalLong freeMemory(ComputeDevice device) {
        if (!(device instanceof ComputeDevice.Cuda c)) return OptionalLong.empty();
        var allocator = torch_cuda.getAllocator();
        allocator.emptyCache();
        try (SizeTPair freeAndTotal = allocator.getMemoryInfo(index(c))) {
            return OptionalLong.of(freeAndTotal.first());
        }
    }

    /** The most bytes tensors held on {@code device} at once since the last {@link #resetPeakMemory}. */
    public static OptionalLong peakMemory(ComputeDevice device) {
        if (!(device instanceof ComputeDevice.Cuda c)) return OptionalLong.empty();
        return OptionalLong.of(torch_cuda.getAllocator().getDeviceStats(index(c)).allocated_bytes().peak());
    }

    public static void resetPeakMemory(ComputeDevice device) {
        if (device instanceof ComputeDevice.Cuda c) torch_cuda.getAllocator().resetPeakStats(index(c));
    }

    private static byte index(ComputeDevice.Cuda c) {
        return (byte) Math.max(0, c.index());
    }
}
