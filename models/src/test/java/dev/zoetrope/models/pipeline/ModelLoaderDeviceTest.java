package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice;

/**
 * The device reaches the place models are opened. A resolved CUDA device cannot be had without a GPU, so it is made
 * by hand here: the loader refuses it in one line, before any part loads, until it places tensors on CUDA.
 */
class ModelLoaderDeviceTest {
    static ModelDirectory tiny() {
        return ModelDirectory.detect(Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny"));
    }

    @Test
    void cudaIsRefusedBeforeAnyPartLoads() {
        for (ComputeDevice cuda : new ComputeDevice[]{new ComputeDevice.Cuda(0), new ComputeDevice.Cuda(1)}) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                    () -> ModelLoader.parts(tiny(), WeightDtype.AUTO, cuda));
            assertEquals("--device " + cuda.id() + ": models are not yet placed on CUDA (the loader puts every tensor on the "
                    + "CPU so far); use --device cpu", e.getMessage());
        }
        assertThrows(InvalidRequestException.class, () -> ModelLoader.openForService(tiny(), WeightDtype.AUTO, new ComputeDevice.Cuda(0)));
    }

    @Test
    void theCpuOpensAsBefore() {
        TextToVideo.Parts parts = ModelLoader.parts(tiny(), WeightDtype.AUTO, ComputeDevice.CPU);
        assertEquals(tiny().family(), parts.family());
        // an unresolved choice reaching the loader is a bug in the caller
        assertThrows(IllegalStateException.class, () -> ModelLoader.parts(tiny(), WeightDtype.AUTO, ComputeDevice.AUTO));
    }
}
