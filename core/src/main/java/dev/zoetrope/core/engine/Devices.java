package dev.zoetrope.core.engine;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/** Waiting for a device's queued work. */
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
}
