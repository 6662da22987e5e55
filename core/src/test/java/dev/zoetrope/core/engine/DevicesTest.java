package dev.zoetrope.core.engine;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;

class DevicesTest {
    @Test
    void theCpuAndMetaHaveNothingToWaitFor() {
        Engine.init();
        assertDoesNotThrow(() -> Devices.synchronize(null));
        assertDoesNotThrow(() -> Devices.synchronize(new Device("cpu")));
        assertDoesNotThrow(() -> Devices.synchronize(new Device("meta")));
    }

    /** Without a GPU, waiting on a CUDA device reaches libtorch's CUDA synchronize, which refuses: it is not a no-op. */
    @Test
    void aCudaDeviceIsWaitedForByLibtorch() {
        assumeTrue(Engine.init().cuda().devices() == 0, "a machine with a GPU would simply wait");
        RuntimeException e = assertThrows(RuntimeException.class, () -> Devices.synchronize(ComputeDevice.parse("cuda:0").torchDevice()));
        assertTrue(e.getMessage().contains("CUDA"), e.getMessage());
    }
}
