package dev.zoetrope.core.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice.Cuda;

/** --device: every spelling, and its resolution against injected counts of the devices libtorch sees (no GPU needed). */
class ComputeDeviceTest {
    static final CudaStatus CPU_BUILD = CudaStatus.CPU_FLAVOUR;
    static final CudaStatus NO_BACKEND = new CudaStatus(true, 0,
            "libtorch_cuda.so: libcusparse.so.12: cannot open shared object file: No such file or directory");
    static final CudaStatus NO_DRIVER = new CudaStatus(true, 0, null);
    static final CudaStatus ONE_GPU = new CudaStatus(true, 1, null);
    static final CudaStatus TWO_GPUS = new CudaStatus(true, 2, null);

    @Test
    void parsesEverySpelling() {
        assertEquals(ComputeDevice.AUTO, ComputeDevice.parse("auto"));
        assertEquals(ComputeDevice.CPU, ComputeDevice.parse("cpu"));
        assertEquals(new Cuda(Cuda.FIRST), ComputeDevice.parse("cuda"));
        assertEquals(new Cuda(0), ComputeDevice.parse("cuda:0"));
        assertEquals(new Cuda(1), ComputeDevice.parse("cuda:1"));
        assertEquals(new Cuda(127), ComputeDevice.parse("cuda:127"));
        // case and surrounding blanks do not matter; the spelling reads back
        assertEquals(new Cuda(3), ComputeDevice.parse(" CUDA:3 "));
        assertEquals(ComputeDevice.CPU, ComputeDevice.parse("CPU"));
        for (String s : List.of("auto", "cpu", "cuda", "cuda:0", "cuda:7")) assertEquals(s, ComputeDevice.parse(s).id());
    }

    @Test
    void refusesOtherSpellingsNamingTheChoices() {
        for (String s : List.of("", " ", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1:2", "cuda0", "cuda:128", "cuda:99999999999",
                "mps", "cpu:0", "cuda:+1")) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> ComputeDevice.parse(s), s);
            assertEquals("--device must be auto, cpu, cuda or cuda:N (N = 0, 1, ...), not '" + s + "'", e.getMessage());
        }
        assertThrows(InvalidRequestException.class, () -> ComputeDevice.parse(null));
    }

    @Test
    void cpuIsTheCpuEverywhere() {
        for (CudaStatus seen : List.of(CPU_BUILD, NO_BACKEND, NO_DRIVER, ONE_GPU, TWO_GPUS))
            assertEquals(ComputeDevice.CPU, ComputeDevice.CPU.resolve(seen), seen.toString());
    }

    @Test
    void autoTakesTheFirstCudaDeviceOnlyWhenThereIsOne() {
        for (CudaStatus seen : List.of(CPU_BUILD, NO_BACKEND, NO_DRIVER))
            assertEquals(ComputeDevice.CPU, ComputeDevice.AUTO.resolve(seen), seen.toString());
        assertEquals(new Cuda(0), ComputeDevice.AUTO.resolve(ONE_GPU));
        assertEquals(new Cuda(0), ComputeDevice.AUTO.resolve(TWO_GPUS));
    }

    @Test
    void cudaResolvesToAnIndexThatExists() {
        assertEquals(new Cuda(0), ComputeDevice.parse("cuda").resolve(ONE_GPU));
        assertEquals(new Cuda(0), ComputeDevice.parse("cuda:0").resolve(ONE_GPU));
        assertEquals(new Cuda(1), ComputeDevice.parse("cuda:1").resolve(TWO_GPUS));
        assertEquals("--device cuda:1: no such CUDA device (libtorch sees 1: cuda:0)",
                refusal("cuda:1", ONE_GPU));
        assertEquals("--device cuda:2: no such CUDA device (libtorch sees 2: cuda:0 to cuda:1)",
                refusal("cuda:2", TWO_GPUS));
    }

    @Test
    void cudaOnTheCpuFlavourSaysHowToBuildTheCudaOne() {
        for (String s : List.of("cuda", "cuda:0", "cuda:1"))
            assertEquals("--device " + s + ": this build is the CPU flavour of libtorch, which has no CUDA; build the CUDA "
                    + "flavour with ./mvnw -Dtorch.platform=linux-x86_64-gpu -DskipTests package, see the README's Engine "
                    + "settings", refusal(s, CPU_BUILD));
    }

    @Test
    void cudaWithNoDeviceSaysWhichOfBackendAndDriverIsMissing() {
        assertEquals("--device cuda: no CUDA device (this build is the CUDA flavour, but libtorch sees 0 devices: is the "
                + "NVIDIA driver installed?)", refusal("cuda", NO_DRIVER));
        assertEquals("--device cuda:1: no CUDA device (this build is the CUDA flavour, but libtorch sees 0 devices: is the "
                + "NVIDIA driver installed?)", refusal("cuda:1", NO_DRIVER));
        String m = refusal("cuda", NO_BACKEND);
        assertTrue(m.startsWith("--device cuda: no CUDA device (this build is the CUDA flavour, but libtorch sees 0 devices: "
                + "its CUDA backend did not load, libtorch_cuda.so: libcusparse.so.12: cannot open shared object file"), m);
        assertTrue(m.contains("cuDNN 9") && m.endsWith("see the README's Engine settings)"), m);
        for (CudaStatus seen : List.of(CPU_BUILD, NO_BACKEND, NO_DRIVER, ONE_GPU, TWO_GPUS))
            for (String s : List.of("auto", "cpu", "cuda", "cuda:0", "cuda:1", "cuda:5")) {
                try {
                    ComputeDevice.parse(s).resolve(seen);
                } catch (InvalidRequestException e) {
                    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
                }
            }
    }

    @Test
    void theCpuKeepsTensorsWhereTheyAreMadeAndCudaNamesItsDevice() {
        assertNull(ComputeDevice.CPU.target(), "tensors are made on the CPU; nothing moves them");
        assertEquals("cuda:0", new Cuda(Cuda.FIRST).target().str().getString());
        assertEquals("cuda:1", new Cuda(1).target().str().getString());
        // an unresolved choice reaching a model is our bug, not the user's
        assertThrows(IllegalStateException.class, ComputeDevice.AUTO::target);
    }

    @Test
    void doctorDescribesEachCase() {
        assertTrue(CPU_BUILD.describe().startsWith("none: this build is the CPU flavour of libtorch (build the CUDA flavour"),
                CPU_BUILD.describe());
        assertEquals("0 devices: the CUDA flavour, but libtorch sees no device (is the NVIDIA driver installed?)", NO_DRIVER.describe());
        assertTrue(NO_BACKEND.describe().startsWith("0 devices: the CUDA flavour, but libtorch's CUDA backend did not load "
                + "(libtorch_cuda.so: libcusparse.so.12"), NO_BACKEND.describe());
        assertEquals("1 device (CUDA flavour)", ONE_GPU.describe());
        assertEquals("2 devices (CUDA flavour)", TWO_GPUS.describe());
        assertThrows(IllegalArgumentException.class, () -> new CudaStatus(false, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new CudaStatus(true, -1, null));
    }

    /** The engine of this JVM: whatever it sees, auto resolves without failing, to a device that is there. */
    @Test
    void thisMachineResolvesAuto() {
        CudaStatus seen = Engine.init().cuda();
        assertEquals(Engine.init().flavour().equals("cuda"), seen.cudaFlavour());
        assertEquals(seen.devices() > 0 ? new Cuda(0) : ComputeDevice.CPU, ComputeDevice.AUTO.resolve());
        assertEquals(ComputeDevice.CPU, ComputeDevice.parse("cpu").resolve());
    }

    private static String refusal(String spelling, CudaStatus seen) {
        return assertThrows(InvalidRequestException.class, () -> ComputeDevice.parse(spelling).resolve(seen)).getMessage();
    }
}
